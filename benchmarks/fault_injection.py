"""Kill a training run with SIGKILL at random moments, many times, and check it ends as if never killed.

    python benchmarks/fault_injection.py [--kills 20] [--seed 0]

Trains a small CPPN-GAN-VAE on generated strokes twice: once without
interruption, once killed `--kills` times at random moments (mid-batch,
mid-checkpoint-write, between epochs) and restarted each time. After every
kill it checks that the restart resumes from the newest intact checkpoint
(so at most the work since it is lost); at the end, that both runs hold the
same weights, bit for bit. Prints one line per kill and a summary.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from conftest import digit_like, write_split  # noqa: E402  (the tests' IDX writer)

ARGS = ["--training_epochs", "12", "--checkpoint_batches", "1", "--batch_size", "20", "--n_vae_steps", "1",
        "--n_handicap", "2", "--net_size_g", "16", "--net_size_q", "32", "--df_dim", "4", "--no-tensorboard",
        "--seed", "4"]


def start(args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "train.py"), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def checkpoint(prefix):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "_CHECKPOINTABLE_OBJECT_GRAPH" not in name}


def newest(run):
    """(epoch, batch) of the newest checkpoint, or None."""
    import tensorflow as tf

    prefix = tf.train.latest_checkpoint(run)
    if prefix is None:
        return None
    values = checkpoint(prefix)
    return int(values["epoch/.ATTRIBUTES/VARIABLE_VALUE"]), int(values["batch/.ATTRIBUTES/VARIABLE_VALUE"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    rng = np.random.default_rng(options.seed)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "digits")
        write_split(data, "train", *digit_like(200))
        args = ["--data-dir", data, *ARGS]
        began = time.monotonic()
        assert start(args + ["--save_dir", os.path.join(tmp, "whole")]).wait() == 0
        print(f"uninterrupted run: {time.monotonic() - began:.0f} s")
        run = os.path.join(tmp, "killed")
        resumed_right = 0
        for kill in range(options.kills):
            before = newest(run)
            process = start(args + ["--save_dir", run])
            lines = []
            for line in process.stdout:
                lines.append(line)
                if line.startswith(("saved ", "Epoch:")) and rng.random() < 0.5:
                    break
            delay = rng.uniform(0.0, 1.0)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            resumed = next((line.strip() for line in lines if line.startswith("resuming")), "fresh start")
            if before is None:
                ok = resumed == "fresh start"
            else:
                epoch, batch = before
                ok = resumed.startswith(f"resuming from batch {batch} of epoch {epoch + 1}" if batch
                                        else f"resuming from epoch {epoch} ")
            resumed_right += ok
            print(f"kill {kill + 1:2d}: {delay:.2f} s after a checkpoint line; newest before: {before}; "
                  f"{resumed}; {'ok' if ok else 'WRONG'}; newest now: {newest(run)}", flush=True)
        final = start(args + ["--save_dir", run])
        out, _ = final.communicate()
        assert final.returncode == 0, out
        a = checkpoint(os.path.join(tmp, "whole", "model.ckpt-12"))
        b = checkpoint(os.path.join(run, "model.ckpt-12"))
        same = a.keys() == b.keys() and all(np.array_equal(a[name], b[name]) for name in a)
        print(f"{resumed_right}/{options.kills} restarts resumed from the newest checkpoint; "
              f"final weights {'identical to' if same else 'DIFFERENT from'} the uninterrupted run's "
              f"({len(a)} variables)")
        return 0 if same and resumed_right == options.kills else 1


if __name__ == "__main__":
    sys.exit(main())
