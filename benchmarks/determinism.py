"""What bit-for-bit reproducible training costs: train.py's --deterministic (the default) against --no-deterministic.

    python benchmarks/determinism.py [--batches 12] [--batch_size 500]

Runs the same partial_train batches in two fresh processes, one with
TensorFlow's op determinism on and one without, alternating twice, and
prints each one's median seconds per batch and the ratio.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = """
import json, sys, time
sys.path.insert(0, {root!r})
import numpy as np, tensorflow as tf
if {deterministic}:
    tf.config.experimental.enable_op_determinism()
from mnist_data import read_data_sets
from model import CPPNVAE
import settings
data = read_data_sets({data!r}, "t10k", seed=0)
model = CPPNVAE(**dict(settings.preset("cppnvae"), batch_size={batch_size}), seed=0)
times = []
for i in range({batches} + 2):
    batch = data.next_batch({batch_size})
    start = time.perf_counter()
    model.partial_train(batch)
    times.append(time.perf_counter() - start)
print(json.dumps(times[2:]))  # the first two include tracing
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--batch_size", type=int, default=500)
    options = parser.parse_args()
    data = os.path.join(ROOT, "..", "shared", "mnist")
    times = {True: [], False: []}
    for deterministic in (True, False, True, False):
        script = WORKER.format(root=ROOT, deterministic=deterministic, data=data, batch_size=options.batch_size,
                               batches=options.batches)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        times[deterministic] += json.loads(out.stdout.strip().splitlines()[-1])
    median = {key: sorted(values)[len(values) // 2] for key, values in times.items()}
    print(f"partial_train, batch {options.batch_size}, {2 * options.batches} batches each (medians):")
    print(f"  deterministic (default): {median[True]:.3f} s per batch")
    print(f"  --no-deterministic:      {median[False]:.3f} s per batch")
    print(f"  determinism costs {median[True] / median[False]:.2f}× the time")


if __name__ == "__main__":
    main()
