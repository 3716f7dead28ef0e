"""How many Gaussians the fitted latent prior needs: held-out log density against the held-out digits' figures.

    python benchmarks/prior_size.py runs/digits --sizes 1 10 20 30 50

For each mixture size: fit on 40,000 posterior draws of the `train` digits,
score the log density of the other 20,000 (the criterion that picks the
size, never seeing `t10k`), then judge 10,000 samples against the `t10k`
digits as evaluate.py does. The last rows are N(0, 1) and the model's
reconstructions of 10,000 train digits (what a perfect prior could reach).
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import evaluate  # noqa: E402
import latent_prior  # noqa: E402
from mnist_data import read_data_sets  # noqa: E402
from run_folder import load_trained  # noqa: E402


def row(name, density, figures, seconds=""):
    print(f"| {name} | {density} | {figures['confident']:.1%} | {figures['fid']:.2f} | "
          f"{figures['precision']:.2f} / {figures['recall']:.2f} | {seconds} |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model_dir")
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 20, 30, 50])
    p.add_argument("--data-dir", default=evaluate.DEFAULT_DATA_DIR)
    p.add_argument("--samples", type=int, default=10000)
    args = p.parse_args()
    model, _, epoch = load_trained(args.model_dir)
    classifier = keras.saving.load_model(evaluate.CLASSIFIER_PATH)
    train = read_data_sets(args.data_dir, "train", seed=0, crop_size=model.x_dim).center_crops()
    real = evaluate.RealImages(read_data_sets(args.data_dir, "t10k", seed=0, crop_size=model.x_dim).center_crops(),
                               classifier, seed=0)
    z = latent_prior.encodings(model, train, seed=0)
    order = np.random.default_rng(1).permutation(len(z))
    fit, held_out = z[order[:40000]], z[order[40000:]]
    print(f"{args.model_dir}, epoch {epoch}: {len(fit)} encodings fitted, {len(held_out)} held out; "
          f"{args.samples} samples against t10k")
    print("| prior | held-out log density | confident | Fréchet | precision / recall | fit time |")
    print("|---|---|---|---|---|---|")
    judge = lambda prior: evaluate.compare_to_real(evaluate.prior_samples(model, args.samples, 0, prior=prior)[1],
                                                   real, kid_subsets=10)
    for size in args.sizes:
        start = time.perf_counter()
        mixture = latent_prior.GaussianMixture.fit(fit, size, seed=0, points=len(fit))
        seconds = f"{time.perf_counter() - start:.0f} s"
        row(f"{size} Gaussians", f"{mixture.log_likelihood(held_out):.2f}", judge(mixture), seconds)
    normal = latent_prior.StandardNormal(model.z_dim)
    row("N(0, 1)", f"{normal.log_likelihood(held_out):.2f}", judge(normal))
    reconstructions = model.generate(model.encode(train[:args.samples]), model.x_dim, model.y_dim, scale=model.scale)
    row("reconstructions of train digits", "", evaluate.compare_to_real(reconstructions, real, kid_subsets=10))


if __name__ == "__main__":
    main()
