"""Compare colour (system C) runs side by side: who trained, and what each run's pictures do with colour.

    python benchmarks/colour_arms.py runs/frog /tmp/frog-vae-only /tmp/frog-gate-open --data-dir ../shared/cifar10

For each run folder's newest checkpoint it prints how many steps each of the
rule's three optimizers took (the rule's gates decide that), the mean colour
of prior samples against the real images', their spread against the real
images' and the colour histogram distance, and the pixel error of
reconstructions (through z_mean, dropout off) against two baselines that
know nothing of shape: every pixel the data's mean colour, and every pixel
its own image's mean colour. A run whose reconstructions do worse than the
data's mean colour has not yet learned the colours, whatever its shapes.
Used to test, one arm per hypothesis, why the frogs kept the wrong colours.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from evaluate import colour_histogram_distance, prior_samples, spread  # noqa: E402
from run_folder import load_trained, training_images  # noqa: E402

def optimizer_steps(model):
    """The steps each of the rule's optimizers took: "vae / g / d", or "exported" (a folder without optimizers)."""
    if not model.optimizer_state_restored:
        return "exported"
    steps = model.optimizer_steps()
    return " / ".join(str(steps[name]) for name in ("vae", "g", "d"))


def fixed_images(data, n, seed):
    """The same n training images (centre crops) for every run or arm that is compared."""
    pick = np.random.default_rng(seed).choice(data.num_examples, n, replace=False)
    return data.center_crops()[pick]


def mse(a, b):
    return float(np.mean(np.square(np.asarray(a, np.float64) - b)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dirs", nargs="+")
    p.add_argument("--data-dir", help="where the images are, if not where the run's config.json says")
    p.add_argument("--n", type=int, default=500, help="images and prior samples per figure")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print("| run | epoch | steps vae / g / d | prior mean colour (real) | spread ÷ real | histogram distance "
          "| reconstruction MSE | data's mean colour | own mean colour |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run_dir in args.run_dirs:
        model, config, epoch = load_trained(run_dir, batch_size=args.n, optimizers=True)
        data = training_images(config, run_dir, model, args.data_dir)
        real = fixed_images(data, args.n, args.seed)
        samples = prior_samples(model, args.n, args.seed)[1]
        reconstructions = model(tf.constant(real)).numpy()
        mean_colour = real.mean(axis=(0, 1, 2))
        print(f"| {run_dir} | {epoch} | {optimizer_steps(model)} "
              f"| {np.round(samples.mean(axis=(0, 1, 2)), 2)} ({np.round(mean_colour, 2)}) "
              f"| {spread(samples[:200]) / spread(real[:200]):.3f} "
              f"| {colour_histogram_distance(samples, real):.3f} | {mse(reconstructions, real):.4f} "
              f"| {mse(mean_colour, real):.4f} | {mse(real.mean(axis=(1, 2), keepdims=True), real):.4f} |",
              flush=True)


if __name__ == "__main__":
    main()
