"""train.py as a user runs it: flags, data errors, checkpoints, resume, divergence, kills."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

import mnist_data
from conftest import ROOT, digit_like, write_split
from model import CPPNVAE
from train import main

FAST = ["--batch_size", "20", "--n_vae_steps", "1", "--n_handicap", "1", "--no-tensorboard"]


def saved_steps(prefix):
    """(vae, g, d) optimizer iterations and the epoch stored in a checkpoint."""
    reader = tf.train.load_checkpoint(prefix)
    value = lambda name: int(reader.get_tensor(f"{name}/.ATTRIBUTES/VARIABLE_VALUE"))
    steps = tuple(value(f"{o}_optimizer/_iterations") for o in ("vae", "g", "d"))
    return steps, value("epoch")


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--batch_size", "0"], "--batch_size.*0 is out of range"),
        (["--training_epochs", "-3"], "--training_epochs.*-3 is out of range"),
        (["--dataset", "cifar"], "invalid choice: 'cifar'"),
        (["--model", "gan"], "invalid choice: 'gan'"),
        (["--keep_prob", "0"], "--keep_prob.*out of range"),
        (["--learning_rate", "fast"], "'fast' is not a float"),
    ],
)
def test_nonsense_flags_are_argparse_errors(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(flags)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and __import__("re").search(message, err), err


def test_missing_data_dir_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(tmp_path / "nowhere"), "--save_dir", str(tmp_path / "save")])
    assert exit_info.value.code == 2
    assert "does not exist; pass --data-dir" in capsys.readouterr().err


def test_corrupt_data_is_a_clear_error(tmp_path, capsys):
    write_split(tmp_path, "train", *digit_like(5))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(tmp_path), "--save_dir", str(tmp_path / "save")])
    assert exit_info.value.code == 2
    assert "train-images-idx3-ubyte.gz: the gzip data is truncated" in capsys.readouterr().err


def test_offline_mnist_fails_within_seconds(monkeypatch, tmp_path, capsys):
    import tensorflow_datasets as tfds

    monkeypatch.setattr(mnist_data, "network_available", lambda *a, **k: False)
    real_load = tfds.load
    monkeypatch.setattr(tfds, "load", lambda *a, **k: real_load(*a, data_dir=str(tmp_path), **k))
    start = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        main(["--dataset", "mnist", "--save_dir", str(tmp_path / "save")])
    assert exit_info.value.code == 2 and time.monotonic() - start < 15
    assert "pass --data-dir" in capsys.readouterr().err


def test_batch_larger_than_the_data(idx_dir, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--data-dir", idx_dir, "--batch_size", "500", "--save_dir", str(tmp_path)])
    assert "but there are only 60; lower --batch_size" in capsys.readouterr().err


def test_trains_checkpoints_and_resumes_with_optimizer_state(idx_dir, tmp_path, capsys):
    save = str(tmp_path / "run")
    args = ["--data-dir", idx_dir, "--save_dir", save, "--seed", "7", *FAST[:-1]]
    assert main(args + ["--training_epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Epoch: 0001 d_loss=" in out and "n_op=" in out
    steps_1, epoch = saved_steps(os.path.join(save, "model.ckpt-1"))
    assert epoch == 1 and steps_1[0] == 3  # one VAE step for each of 3 batches of 20
    config = json.load(open(os.path.join(save, "config.json")))
    assert config["model"]["batch_size"] == 20 and config["training"]["training_epochs"] == 1
    assert os.path.normpath(os.path.join(save, config["data"]["data_dir_from_run"])) == os.path.abspath(idx_dir)
    assert any(name.startswith("events") for name in os.listdir(os.path.join(save, "logs", "samples")))
    assert "quality: covered_classes=" in out and "hires_agreement=" in out  # the shipped classifier judged it
    assert any(name.startswith("events") for name in os.listdir(os.path.join(save, "logs", "quality")))

    no_quality = ["--classifier", str(tmp_path / "none.keras")]  # judged once above is enough
    assert main(args + no_quality + ["--training_epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "quality:" not in out
    assert f"resuming from epoch 1 checkpoint in {save} (optimizer steps: d {steps_1[2]}, g {steps_1[1]}, vae {steps_1[0]})" in out
    assert "Epoch: 0002" in out and "Epoch: 0001" not in out
    steps_2, epoch = saved_steps(os.path.join(save, "model.ckpt-2"))
    assert epoch == 2 and steps_2[0] == 6

    assert main(args + no_quality + ["--training_epochs", "2"]) == 0
    assert "already holds 2 epochs" in capsys.readouterr().out


def test_export_ships_weights_that_draw_the_same(idx_dir, tmp_path, monkeypatch):
    run, shipped = tmp_path / "run", tmp_path / "elsewhere" / "save"
    main(["--data-dir", idx_dir, "--save_dir", str(run), "--training_epochs", "1", *FAST])
    assert main(["--save_dir", str(run), "--export", str(shipped)]) == 0
    size = lambda folder: sum(f.stat().st_size for f in folder.glob("model.ckpt-1.*"))
    assert size(shipped) < size(run) / 3
    from sampler import Sampler

    monkeypatch.chdir(tmp_path / "elsewhere")
    a, b = Sampler(model_dir=str(run), seed=1), Sampler(model_dir="save", seed=1)
    np.testing.assert_array_equal(a.generate(x_dim=30, y_dim=30), b.generate(x_dim=30, y_dim=30))
    assert b.get_random_mnist().shape == (26, 26, 1)  # the data path still leads to the digits
    with pytest.raises(SystemExit):
        main(["--save_dir", str(tmp_path / "none"), "--export", str(shipped)])


def test_resume_refuses_another_network(idx_dir, tmp_path, capsys):
    save = tmp_path / "run"
    main(["--data-dir", idx_dir, "--save_dir", str(save), "--training_epochs", "1", *FAST])
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", idx_dir, "--save_dir", str(save), "--training_epochs", "2", *FAST, "--net_size_g", "64"])
    assert exit_info.value.code == 2
    assert "another network (net_size_g: 128 → 64)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--model", "wgan-gp", "--data-dir", idx_dir, "--save_dir", str(save), "--training_epochs", "2"])
    assert "holds a cppnvae run; resume it with --model cppnvae" in capsys.readouterr().err


def test_resume_may_lower_the_learning_rates_and_records_when(idx_dir, tmp_path, capsys):
    save = tmp_path / "run"
    main(["--data-dir", idx_dir, "--save_dir", str(save), "--training_epochs", "1", *FAST])
    main(["--data-dir", idx_dir, "--save_dir", str(save), "--training_epochs", "2", *FAST, "--learning_rate", "0.0005"])
    assert "from epoch 1 on: learning_rate 0.005 → 0.0005" in capsys.readouterr().out
    config = json.loads((save / "config.json").read_text())
    assert config["model"]["learning_rate"] == 0.0005
    assert config["history"] == [{"from_epoch": 1, "changed": {"learning_rate": [0.005, 0.0005]}}]
    # A restored optimizer runs at the model's rate, not the one its checkpoint stored.
    model = CPPNVAE(**dict(config["model"], learning_rate=0.0001))
    model.compile()
    assert model.load_model(str(save)) == 2
    assert model.optimizer_state_restored
    assert float(model.g_optimizer.learning_rate) == pytest.approx(0.0001)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(0.001)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(idx_dir, tmp_path, monkeypatch, capsys):
    save = str(tmp_path / "run")
    args = ["--data-dir", idx_dir, "--save_dir", save, *FAST]
    main(args + ["--training_epochs", "1"])
    good = CPPNVAE(batch_size=20)
    good.load_model(save)

    real_tf_dataset = mnist_data.DataSet.tf_dataset
    poisoned = lambda self, *a, **k: real_tf_dataset(self, *a, **k).map(lambda x: x * np.nan)
    monkeypatch.setattr(mnist_data.DataSet, "tf_dataset", poisoned)
    assert main(args + ["--training_epochs", "3"]) == 1
    err = capsys.readouterr().err
    assert "is nan in epoch 2, batch 1; training stopped and the last checkpoint was left" in err
    assert tf.train.latest_checkpoint(save).endswith("model.ckpt-1")
    restored = CPPNVAE(batch_size=20)
    assert restored.load_model(save) == 1
    z = np.ones((1, 32))
    np.testing.assert_array_equal(restored.generate(z), good.generate(z))


def run_train(args, **kwargs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "train.py"), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs,
    )


def wait_for(path, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_sigkill_during_epoch_2_resumes_from_epoch_1(tmp_path):
    data = tmp_path / "digits"
    write_split(data, "train", *digit_like(400))
    save = tmp_path / "run"
    # A fixed seed: with a random one, batches of 10 random strokes at upstream's learning rates
    # occasionally diverge to NaN (which train.py then reports), and this test is about resuming.
    args = ["--data-dir", str(data), "--save_dir", str(save), "--batch_size", "10", "--no-tensorboard", "--seed", "1"]
    first = run_train(args + ["--training_epochs", "2"])
    wait_for(save / "model.ckpt-1.index", first)
    time.sleep(1.0)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not (save / "model.ckpt-2.index").exists(), "epoch 2 finished before the kill"
    steps_1, _ = saved_steps(str(save / "model.ckpt-1"))

    second = run_train(args + ["--training_epochs", "2"])
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out
    assert f"resuming from epoch 1 checkpoint in {save} (optimizer steps: d {steps_1[2]}, g {steps_1[1]}, vae {steps_1[0]})" in out
    assert "Epoch: 0002" in out and "Epoch: 0001" not in out
    steps_2, epoch = saved_steps(str(save / "model.ckpt-2"))
    assert epoch == 2 and steps_2[0] == 2 * steps_1[0]


SAVE_FOREVER = """
import sys
sys.path.insert(0, {root!r})
from model import CPPNVAE
model = CPPNVAE()
model.compile()
epoch = 0
while True:
    epoch += 1
    model.save_model({save!r}, epoch)
    open({flag!r}, "w").close()
"""


@pytest.mark.parametrize("delay", [0.0, 0.037, 0.11])
def test_a_save_killed_half_way_leaves_a_loadable_checkpoint(tmp_path, delay):
    save, flag = str(tmp_path / "run"), str(tmp_path / "saved-once")
    script = SAVE_FOREVER.format(root=ROOT, save=save, flag=flag)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    saver = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(flag, saver)
    time.sleep(0.3 + delay)  # several saves in, at a different point of one each time
    saver.send_signal(signal.SIGKILL)
    saver.wait()
    model = CPPNVAE()
    model.compile()
    assert model.load_model(save) >= 1
