"""Every constructor and CLI default against the values REFERENCE.md states for upstream."""

import inspect

from model import CPPNVAE, CPPNWGANGP, ResidualCPPNVAE
from train import build_parser, model_settings

# REFERENCE.md, section B: CPPNVAE(...) and the training-trick values of upstream's code.
CPPNVAE_DEFAULTS = dict(
    batch_size=1, z_dim=32, x_dim=26, y_dim=26, c_dim=1, scale=8.0,
    learning_rate=0.01, learning_rate_d=0.001, learning_rate_vae=0.0001, beta1=0.9,
    net_size_g=128, net_depth_g=4, net_size_q=512, keep_prob=1.0, df_dim=24, model_name="cppnvae",
    n_vae_steps=4, n_handicap=4, g_stop_loss=0.6, th_low=0.6, th_high=0.75, n_d_steps=1,
)
# REFERENCE.md, section B: train.py flags; plus the rule's parameters at the code's values.
TRAIN_DEFAULTS = dict(
    training_epochs=100, display_step=1, checkpoint_step=1, batch_size=500,
    learning_rate=0.005, learning_rate_vae=0.001, learning_rate_d=0.001, keep_prob=1.0, beta1=0.65,
    n_vae_steps=4, n_handicap=4, g_stop_loss=0.6, th_low=0.6, th_high=0.75, n_d_steps=1,
    dataset="mnist", save_dir="save", data_dir=None,
)


def test_constructor_defaults_are_upstream():
    signature = inspect.signature(CPPNVAE.__init__)
    for name, value in CPPNVAE_DEFAULTS.items():
        assert signature.parameters[name].default == value, name


def test_model_keeps_constructor_values():
    model = CPPNVAE()
    config = model.get_config()
    for name, value in CPPNVAE_DEFAULTS.items():
        assert config[name] == value, name
    assert model.name == "cppnvae"


def settings_of(argv, system="cppnvae", c_dim=1, n_classes=10):
    args = build_parser().parse_args(argv)
    cls, settings = model_settings(args, system, c_dim, n_classes)
    return args, cls(**settings).get_config()


def test_cli_defaults_are_upstream():
    args, config = settings_of([])
    for name, value in TRAIN_DEFAULTS.items():
        assert (config[name] if name in config else vars(args)[name]) == value, name
    assert config["architecture"] == "cppnvae" and config["reconstruction"] == "bernoulli"


def test_colour_data_gets_system_c_settings():
    """REFERENCE.md section C: 30×30 colour, 64 units, depth 8, df_dim 20, frog layers, L2, 16/16 steps."""
    _, config = settings_of([], c_dim=3)
    expected = dict(x_dim=30, y_dim=30, c_dim=3, net_size_g=64, net_depth_g=8, df_dim=20, architecture="frog",
                    reconstruction="l2", n_vae_steps=16, n_handicap=16, use_radius=True)
    assert {k: config[k] for k in expected} == expected
    _, config = settings_of(["--no-radius", "--architecture", "tanh"], c_dim=3)
    assert config["use_radius"] is False and config["architecture"] == "tanh"


def test_resnet_defaults_are_system_d():
    _, config = settings_of(["--model", "resnet"], "resnet")
    expected = dict(net_size_g=6, net_depth_g=24, df_dim=32, n_classes=10, clip_norm=5.0, n_handicap=16,
                    g_stop_accuracy=0.98, d_fake_low=0.7, g_gate_accuracy=0.6, d_fake_stop=0.75, d_real_low=0.6,
                    d_real_stop=0.7, n_d_steps=8, vae_weight=10.0, architecture="resnet")
    assert {k: config[k] for k in expected} == expected
    model = ResidualCPPNVAE()
    blocks = model.generator.hidden.layers
    assert len(blocks) == 24 and all(len(block.layer.layers) == 5 for block in blocks)


def test_wgan_defaults_are_system_e():
    _, config = settings_of(["--model", "wgan-gp"], "wgan-gp")
    expected = dict(z_dim=128, net_size_g=128, x_dim=28, y_dim=28, scale=8.0, n_critic=5, gp_lambda=10.0,
                    learning_rate=1e-4, learning_rate_d=1e-4, beta1=0.5, beta2=0.9, batch_size=50, critic_dim=64)
    assert {k: config[k] for k in expected} == expected
    model = CPPNWGANGP()
    model.compile()
    assert model.g_optimizer.beta_2 == 0.9 and abs(float(model.d_optimizer.learning_rate) - 1e-4) < 1e-9
    assert not model.generator.scale_z
    critic = [type(layer).__name__ for layer in model.discriminator.layers]
    assert "BatchNorm" not in critic and critic[-1] == "Dense"


def test_compile_builds_upstream_adams():
    model = CPPNVAE(learning_rate=0.005, learning_rate_d=0.002, learning_rate_vae=0.001, beta1=0.65)
    model.compile()
    for optimizer, rate in ((model.g_optimizer, 0.005), (model.d_optimizer, 0.002), (model.vae_optimizer, 0.001)):
        assert type(optimizer).__name__ == "Adam"
        assert abs(float(optimizer.learning_rate) - rate) < 1e-9
        assert optimizer.beta_1 == 0.65
        assert optimizer.built
