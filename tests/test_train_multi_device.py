"""Training under MirroredStrategy, on two logical CPU devices standing in for two GPUs."""

import json
import subprocess
import sys
import textwrap

import numpy as np

from conftest import ROOT, digit_like, write_split
from model import CPPNVAE

# Two logical CPU devices and train.py set to mirror over them, as it would over two GPUs.
TWO_DEVICES = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, {root!r})
    import train

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    train.distribution_strategy = lambda: strategy  # what train.py picks on a machine with two GPUs
    """
)
SCRIPT = TWO_DEVICES + textwrap.dedent(
    """
    flags = ["--data-dir", {data!r}, "--save_dir", {save!r}, "--batch_size", "20", "--n_vae_steps", "2",
             "--n_handicap", "2", "--no-tensorboard", "--seed", "3"]
    assert train.main(flags + ["--training_epochs", "1"]) == 0
    assert train.main(flags + ["--training_epochs", "2"]) == 0  # resumes under the strategy too
    """
)


def run_on_two_devices(script, tmp_path):
    """Run `script` (TWO_DEVICES + flags) on 60 digit-like images in tmp_path → (its stdout, the run folder)."""
    data, save = tmp_path / "digits", tmp_path / "run"
    write_split(data, "train", *digit_like(60))
    script = script.format(root=ROOT, data=str(data), save=str(save))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout, save


def test_train_py_under_mirrored_strategy_trains_checkpoints_and_resumes(tmp_path):
    stdout, save = run_on_two_devices(SCRIPT, tmp_path)
    assert "training on 2 devices (MirroredStrategy), 10 images each per batch" in stdout
    assert "resuming from epoch 1 checkpoint" in stdout
    losses = [line for line in stdout.splitlines() if line.startswith("Epoch: 0002")]
    assert losses, stdout
    values = [float(v) for v in losses[0].split()[3::2]]  # d, g, vae, n_op
    assert all(np.isfinite(values)) and 3 <= values[3] <= 5  # 2 VAE + 1-2 G (+ 0-1 D) steps per batch

    # The checkpoint loads on one device: 3 batches × 2 epochs × 2 VAE steps, and it draws.
    config = json.loads((save / "config.json").read_text())
    model = CPPNVAE(**config["model"])
    model.compile()
    assert model.load_model(str(save)) == 2
    assert int(model.vae_optimizer.iterations) == 12
    image = model.generate(np.zeros((1, 32)), 40, 40)
    assert image.shape == (1, 40, 40, 1) and np.isfinite(image).all() and image.std() > 0


OTHER_SYSTEMS = TWO_DEVICES + textwrap.dedent(
    """
    common = ["--data-dir", {data!r}, "--training_epochs", "1", "--no-tensorboard", "--seed", "3"]
    assert train.main(common + ["--model", "resnet", "--save_dir", {save!r} + "-resnet", "--batch_size", "20",
                                "--net_depth_g", "2", "--n_handicap", "2", "--n_d_steps", "2"]) == 0
    assert train.main(common + ["--model", "wgan-gp", "--save_dir", {save!r} + "-wgan", "--batch_size", "4",
                                "--z_dim", "8", "--net_size_g", "16"]) == 0
    """
)


def test_resnet_and_wgan_train_under_mirrored_strategy(tmp_path):
    """The classifier critic's rule (accuracies all-reduced with the losses) and WGAN-GP's step, on 2 devices."""
    stdout, _ = run_on_two_devices(OTHER_SYSTEMS, tmp_path)
    epochs = [line for line in stdout.splitlines() if line.startswith("Epoch: 0001")]
    assert len(epochs) == 2 and "d_fake_accuracy=" in epochs[0] and "wasserstein=" in epochs[1], stdout
    assert "nan" not in " ".join(epochs)
