"""Every constructor and CLI default against the values REFERENCE.md states for upstream."""

import inspect

from model import CPPNVAE
from train import build_parser

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


def test_cli_defaults_are_upstream():
    args = vars(build_parser().parse_args([]))
    for name, value in TRAIN_DEFAULTS.items():
        assert args[name] == value, name


def test_compile_builds_upstream_adams():
    model = CPPNVAE(learning_rate=0.005, learning_rate_d=0.002, learning_rate_vae=0.001, beta1=0.65)
    model.compile()
    for optimizer, rate in ((model.g_optimizer, 0.005), (model.d_optimizer, 0.002), (model.vae_optimizer, 0.001)):
        assert type(optimizer).__name__ == "Adam"
        assert abs(float(optimizer.learning_rate) - rate) < 1e-9
        assert optimizer.beta_1 == 0.65
        assert optimizer.built
