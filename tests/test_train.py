"""train.py as a user runs it: flags, data errors, checkpoints, resume, divergence, kills."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

import datasets
import mnist_data
from conftest import ROOT, digit_like, write_pictures, write_split
from model import CPPNVAE
from run_folder import load_trained
from sampler import Sampler
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

    monkeypatch.setattr(datasets, "network_available", lambda *a, **k: False)
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
    assert "covered_classes" not in out and "quality: spread=" in out  # no classifier: the collapse figures alone
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
    monkeypatch.chdir(tmp_path / "elsewhere")
    a, b = Sampler(model_dir=str(run), seed=1), Sampler(model_dir="save", seed=1)
    np.testing.assert_array_equal(a.generate(x_dim=30, y_dim=30), b.generate(x_dim=30, y_dim=30))
    assert b.get_random_mnist().shape == (26, 26, 1)  # the data path still leads to the digits
    with pytest.raises(SystemExit):
        main(["--save_dir", str(tmp_path / "none"), "--export", str(shipped)])
    main(["--data-dir", idx_dir, "--save_dir", str(run), "--training_epochs", "2", *FAST])
    assert main(["--save_dir", str(run), "--export", str(shipped)]) == 0  # exporting again replaces the model
    assert sorted(p.name for p in shipped.glob("model.ckpt-*")) == ["model.ckpt-2.data-00000-of-00001",
                                                                     "model.ckpt-2.index"]


def test_fit_prior_keeps_a_mixture_that_export_ships_and_samples_use(idx_dir, tmp_path, capsys):
    run, shipped = tmp_path / "run", tmp_path / "save"
    main(["--data-dir", idx_dir, "--save_dir", str(run), "--training_epochs", "1", *FAST])
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    assert main(["--save_dir", str(run), "--fit_prior", "3", "--export", str(shipped)]) == 0
    out = capsys.readouterr().out
    assert "fitted 3 Gaussians to the encodings of 60 training images (epoch 1)" in out and "exported epoch 1" in out
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name in before} == before  # weights kept
    assert (shipped / "latent_prior.npz").read_bytes() == (run / "latent_prior.npz").read_bytes()
    fitted, normal = Sampler(model_dir=str(shipped), seed=4), Sampler(model_dir=str(shipped), seed=4, prior="normal")
    assert (fitted.prior.name, fitted.prior.components, normal.prior.name) == ("fitted", 3, "normal")
    z = fitted.generate_z()
    assert z.shape == (1, 32) and np.any(np.abs(z - normal.generate_z()) > 1e-3)
    with pytest.raises(SystemExit):  # the exported model is not refitted in place
        main(["--save_dir", str(shipped), "--fit_prior", "3"])
    assert "holds an exported model" in capsys.readouterr().err


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


def small_run(tmp_path):
    """(train.py arguments, run folder) of a quick run on 400 digit-like strokes, in batches of 10."""
    data = tmp_path / "digits"
    write_split(data, "train", *digit_like(400))
    save = tmp_path / "run"
    # A fixed seed: with a random one, batches of 10 random strokes at upstream's learning rates
    # occasionally diverge to NaN (which train.py then reports), and these tests are about stopping.
    return ["--data-dir", str(data), "--save_dir", str(save), "--batch_size", "10", "--no-tensorboard", "--seed", "1"], save


def test_sigkill_during_epoch_2_resumes_from_epoch_1(tmp_path):
    args, save = small_run(tmp_path)
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
from run_folder import load_trained
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


# --------------------------------------------------------------------------- the other systems, end to end

QUICK = ["--training_epochs", "1", "--no-tensorboard", "--seed", "3"]


def test_cifar10_frog_trains_in_colour_and_saves_colours_uninverted(tmp_path):
    run = tmp_path / "frogs"
    with tfds.testing.mock_data(num_examples=60):
        assert main(["--dataset", "cifar10", "--class", "frog", "--save_dir", str(run), "--batch_size", "2",
                     "--n_vae_steps", "1", "--n_handicap", "1", "--net_depth_g", "2", "--learning_rate", "0.0005",
                     "--learning_rate_vae", "0.0001", *QUICK]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["system"] == "cppnvae" and config["data"]["ink"] is False and config["data"]["class"] == "frog"
    assert {k: config["model"][k] for k in ("c_dim", "x_dim", "architecture", "reconstruction")} == dict(
        c_dim=3, x_dim=30, architecture="frog", reconstruction="l2")
    sampler = Sampler(model_dir=str(run), seed=0)
    image = sampler.generate(x_dim=64, y_dim=48)
    assert image.shape == (48, 64, 3)
    sampler.save_png(image, str(tmp_path / "frog.png"))
    saved = np.asarray(Image.open(tmp_path / "frog.png"))
    np.testing.assert_array_equal(saved, (image * 255).astype(np.uint8))

def test_resnet_trains_on_digits_and_encodes(idx_dir, tmp_path):
    run = tmp_path / "resnet"
    assert main(["--model", "resnet", "--data-dir", idx_dir, "--save_dir", str(run), "--batch_size", "20",
                 "--n_handicap", "2", "--n_d_steps", "2", "--net_depth_g", "3", *QUICK]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["system"] == "resnet" and config["model"]["n_classes"] == 10
    sampler = Sampler(model_dir=str(run), seed=0)
    assert type(sampler.model).__name__ == "ResidualCPPNVAE"
    z = sampler.encode(digit_like(1)[0][0, 1:27, 1:27] / 255.0)
    assert sampler.generate(z, 100, 100).shape == (100, 100, 1)

def test_wgan_trains_on_a_picture_folder_and_refuses_encode(tmp_path):
    write_pictures(tmp_path / "pictures", 12, size=(30, 30), colour=False)
    run = tmp_path / "wgan"
    assert main(["--model", "wgan-gp", "--dataset", "folder", "--data-dir", str(tmp_path / "pictures"),
                 "--save_dir", str(run), "--batch_size", "2", "--z_dim", "8", "--net_size_g", "16", *QUICK]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["system"] == "wgan-gp" and config["model"]["x_dim"] == 28 and config["data"]["ink"] is False
    sampler = Sampler(model_dir=str(run), seed=0)
    assert sampler.generate(x_dim=200, y_dim=100).shape == (100, 200, 1)
    with pytest.raises(RuntimeError, match="this wgan-gp model has none"):
        sampler.encode(np.zeros((28, 28)))
    assert main(["--model", "wgan-gp", "--dataset", "folder", "--data-dir", str(tmp_path / "pictures"),
                 "--save_dir", str(run), "--training_epochs", "2", "--no-tensorboard"]) == 0
    assert os.path.exists(str(run / "model.ckpt-2") + ".index")  # resumed with the stored settings, no flags repeated


# --------------------------------------------------------------------------- nothing a user types loses work


def tree_digest(folder):
    """{relative path: bytes} of every file under `folder`, to show it was left untouched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_training_never_writes_into_a_shipped_model(idx_dir, tmp_path, capsys):
    shipped = tmp_path / "save"
    shutil.copytree(os.path.join(ROOT, "save"), shipped)
    before = tree_digest(shipped)
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", idx_dir, "--save_dir", str(shipped), *FAST])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "holds an exported model" in err and f"--init_from {shipped}" in err and "Traceback" not in err
    assert tree_digest(shipped) == before
    # Fine-tuning it is asked for explicitly, into a new folder; the shipped files stay as they were.
    run = tmp_path / "tuned"
    epoch = load_trained(str(shipped))[2]
    assert main(["--data-dir", idx_dir, "--init_from", str(shipped), "--save_dir", str(run), "--training_epochs",
                 str(epoch + 1), *FAST]) == 0
    assert f"resuming from epoch {epoch} checkpoint in" in capsys.readouterr().out
    assert os.path.exists(str(run / f"model.ckpt-{epoch + 1}") + ".index") and tree_digest(shipped) == before


def test_the_default_run_folder_is_not_the_shipped_one(idx_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--data-dir", idx_dir, "--training_epochs", "1", *FAST]) == 0
    assert (tmp_path / "runs" / "cppnvae-mnist" / "model.ckpt-1.index").exists()
    assert "into runs/cppnvae-mnist" in capsys.readouterr().out


@pytest.mark.parametrize("where,message", [("file", "is a file, not a folder"),
                                           ("/proc/forbidden/run", "cannot create --save_dir")])
def test_an_unusable_run_folder_is_a_clear_error_before_any_work(idx_dir, tmp_path, where, message, capsys):
    if where == "file":
        where = tmp_path / "file"
        where.write_text("mine")
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", idx_dir, "--save_dir", str(where), *FAST])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert where == "/proc/forbidden/run" or where.read_text() == "mine"


def test_a_truncated_checkpoint_is_a_clear_error(idx_dir, tmp_path, capsys):
    run = tmp_path / "run"
    main(["--data-dir", idx_dir, "--save_dir", str(run), "--training_epochs", "1", *FAST])
    data = next(run.glob("model.ckpt-1.data-*"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", idx_dir, "--save_dir", str(run), "--training_epochs", "2", *FAST])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "cannot be read into this cppnvae model" in err and "truncated" in err and "Traceback" not in err


def test_stale_temporary_checkpoint_folders_are_cleaned(idx_dir, tmp_path):
    run = tmp_path / "run"
    (run / "model.ckpt-1_temp").mkdir(parents=True)
    (run / "model.ckpt-1_temp" / "part-0").write_bytes(b"half")
    main(["--data-dir", idx_dir, "--save_dir", str(run), "--training_epochs", "1", *FAST])
    assert not (run / "model.ckpt-1_temp").exists()


@pytest.mark.parametrize("flag,value,message", [("--learning_rate", "nan", "'nan' is not a number"),
                                                ("--seed", "-1", "argument --seed: -1 is out of range")])
def test_nan_rates_and_negative_seeds_are_refused_naming_the_flag(flag, value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([flag, value])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def checkpoint_values(prefix):
    """Every variable a checkpoint holds, by name (not the object graph, whose names count Keras objects made)."""
    reader = tf.train.load_checkpoint(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name != "_CHECKPOINTABLE_OBJECT_GRAPH"}


TINY = ["--batch_size", "20", "--n_vae_steps", "1", "--n_handicap", "2", "--net_size_g", "16", "--net_size_q", "32",
        "--df_dim", "4", "--no-tensorboard", "--seed", "4"]


def test_the_same_seed_gives_the_same_weights_bit_for_bit(idx_dir, tmp_path):
    for name in ("a", "b"):
        assert main(["--data-dir", idx_dir, "--save_dir", str(tmp_path / name), "--training_epochs", "2", *TINY]) == 0
    a, b = checkpoint_values(tmp_path / "a" / "model.ckpt-2"), checkpoint_values(tmp_path / "b" / "model.ckpt-2")
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def newest_checkpoint(run):
    """(epoch, batch) of the newest checkpoint in a run folder, or None."""
    prefix = tf.train.latest_checkpoint(str(run))
    if prefix is None:
        return None
    values = checkpoint_values(prefix)
    return int(values["epoch/.ATTRIBUTES/VARIABLE_VALUE"]), int(values["batch/.ATTRIBUTES/VARIABLE_VALUE"])


def test_killed_at_random_moments_the_run_resumes_and_ends_as_if_never_killed(tmp_path):
    """SIGKILL mid-batch, mid-save or between epochs: each restart resumes from the newest intact checkpoint,
    and the run ends with the weights of an uninterrupted one. (benchmarks/fault_injection.py: 20 kills.)"""
    data = tmp_path / "digits"
    write_split(data, "train", *digit_like(100))
    args = ["--data-dir", str(data), "--training_epochs", "3", "--checkpoint_batches", "1", *TINY]
    whole = run_train(args + ["--save_dir", str(tmp_path / "whole")])
    assert whole.wait(timeout=600) == 0, whole.stdout.read()
    run = tmp_path / "killed"
    rng = np.random.default_rng(0)
    for kill in range(3):
        newest = newest_checkpoint(run)
        process = run_train(args + ["--save_dir", str(run)])
        lines = []
        for line in process.stdout:  # train until the first checkpoint of this session, then kill anywhere
            lines.append(line)
            if line.startswith("saved "):
                break
        time.sleep(rng.uniform(0.0, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if newest is not None:
            epoch, batch = newest
            expected = f"resuming from batch {batch} of epoch {epoch + 1}" if batch else f"resuming from epoch {epoch} "
            assert any(line.startswith(expected) for line in lines), "".join(lines)
    final = run_train(args + ["--save_dir", str(run)])
    out, _ = final.communicate(timeout=600)
    assert final.returncode == 0, out
    a, b = checkpoint_values(tmp_path / "whole" / "model.ckpt-3"), checkpoint_values(run / "model.ckpt-3")
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_ctrl_c_stops_with_where_the_run_stands_and_no_traceback(tmp_path):
    args, save = small_run(tmp_path)
    run = run_train(args + ["--training_epochs", "50"])
    wait_for(save / "model.ckpt-1.index", run)
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 130, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out
    last = max(int(name.split("-")[1].split(".")[0]) for name in os.listdir(save)
               if name.startswith("model.ckpt-") and name.endswith(".index") and "batch" not in name)
    assert f"train.py: stopped. The last checkpoint is {save / f'model.ckpt-{last}'}" in out
    assert "the same command resumes from it" in out
