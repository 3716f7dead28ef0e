"""settings.py: every constructor and train.py default against the values REFERENCE.md states for upstream."""

import inspect
import subprocess
import sys

import pytest

import settings
from conftest import ROOT
from model import CPPNVAE
from resnet import ResidualCPPNVAE
from train import build_parser, model_settings
from wgan_gp import CPPNWGANGP

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
    dataset="mnist", data_dir=None,
)


def test_constructor_signature_is_upstream_and_positional_arguments_follow_it():
    signature = inspect.signature(CPPNVAE)
    assert list(signature.parameters)[:16] == list(CPPNVAE_DEFAULTS)[:16]
    for name, value in CPPNVAE_DEFAULTS.items():
        assert signature.parameters[name].default == value, name
    model = CPPNVAE(7, 16)
    assert (model.batch_size, model.z_dim) == (7, 16)
    with pytest.raises(TypeError, match="'z_dimm' is not a cppnvae setting; the settings are: batch_size, z_dim"):
        CPPNVAE(z_dimm=3)


def test_model_keeps_constructor_values():
    model = CPPNVAE()
    config = model.get_config()
    assert list(config) == list(settings.DEFAULTS["cppnvae"])
    for name, value in CPPNVAE_DEFAULTS.items():
        assert config[name] == value, name
    assert model.name == "cppnvae"
    assert CPPNVAE.from_config(config).get_config() == config


def settings_of(argv, system="cppnvae", c_dim=1, n_classes=10):
    args = build_parser().parse_args(argv)
    values = model_settings(args, system, c_dim, n_classes)
    cls = {"cppnvae": CPPNVAE, "resnet": ResidualCPPNVAE, "wgan-gp": CPPNWGANGP}[system]
    return args, cls(**values).get_config()


def test_cli_defaults_are_upstream():
    args, config = settings_of([])
    for name, value in TRAIN_DEFAULTS.items():
        assert (config[name] if name in config else vars(args)[name]) == value, name
    assert config["architecture"] == "cppnvae" and config["reconstruction"] == "bernoulli"


def test_colour_data_gets_system_c_settings():
    """REFERENCE.md section C: 30×30 colour, 64 units, depth 8, df_dim 20, frog layers, L2, 16/16 steps,
    and its own train.py: batch 1000, rates 0.0025 / 0.0005 / 0.0001, beta1 0.5, keep_prob 0.65."""
    _, config = settings_of([], c_dim=3)
    expected = dict(x_dim=30, y_dim=30, c_dim=3, net_size_g=64, net_depth_g=8, df_dim=20, architecture="frog",
                    reconstruction="l2", n_vae_steps=16, n_handicap=16, use_radius=True, batch_size=1000,
                    learning_rate=0.0025, learning_rate_vae=0.0005, learning_rate_d=0.0001, beta1=0.5, keep_prob=0.65)
    assert {k: config[k] for k in expected} == expected
    _, config = settings_of(["--no-radius", "--architecture", "tanh"], c_dim=3)
    assert config["use_radius"] is False and config["architecture"] == "tanh"


def test_resnet_defaults_are_system_d():
    _, config = settings_of(["--model", "resnet"], "resnet")
    expected = dict(net_size_g=6, net_depth_g=24, df_dim=32, n_classes=10, clip_norm=5.0, n_handicap=16,
                    g_stop_accuracy=0.98, d_fake_low=0.7, g_gate_accuracy=0.6, d_fake_stop=0.75, d_real_low=0.6,
                    d_real_stop=0.7, n_d_steps=8, vae_weight=10.0, architecture="resnet", batch_size=1000,
                    learning_rate=0.001, learning_rate_vae=0.0001, learning_rate_d=0.001, beta1=0.75, keep_prob=0.65)
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
    assert model.g_optimizer.beta_2 == 0.9 and abs(float(model.critic_optimizer.learning_rate) - 1e-4) < 1e-9
    assert not model.generator.scale_z
    critic = [type(layer).__name__ for layer in model.critic.layers]
    assert "BatchNorm" not in critic and critic[-1] == "Dense"


def test_compile_builds_upstream_adams():
    model = CPPNVAE(learning_rate=0.005, learning_rate_d=0.002, learning_rate_vae=0.001, beta1=0.65)
    model.compile()
    for optimizer, rate in ((model.g_optimizer, 0.005), (model.d_optimizer, 0.002), (model.vae_optimizer, 0.001)):
        assert type(optimizer).__name__ == "Adam"
        assert abs(float(optimizer.learning_rate) - rate) < 1e-9
        assert optimizer.beta_1 == 0.65
        assert optimizer.built


def test_every_setting_is_described_once_and_help_derives_from_the_defaults():
    for system, defaults in settings.DEFAULTS.items():
        assert set(defaults) <= set(settings.SETTINGS), system
        assert set(settings.TRAIN_PRESETS[system]) <= set(defaults), system
    assert settings.defaults_text("learning_rate") == "cppnvae 0.005; colour 0.0025; resnet 0.001; wgan-gp 0.0001"
    assert settings.defaults_text("th_low") == "0.6"
    text = build_parser().format_help()
    assert "max generator steps per batch (cppnvae 4; colour/resnet 16)" in " ".join(text.split())


def test_help_answers_within_a_second_without_tensorflow():
    for script in ("train.py", "sampler.py"):
        done = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
        assert done.stderr == ""  # no TensorFlow log lines: it was never loaded
    check = "import sys, train, settings, run_folder; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True).stdout == "False\n"
