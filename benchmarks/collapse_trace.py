"""Trace a GAN-VAE run batch by batch, to see when and how its fakes collapse.

    python benchmarks/collapse_trace.py --model resnet --data-dir ../shared/mnist --batches 40
    python benchmarks/collapse_trace.py --dataset folder --data-dir ../shared/cifar10 --split train+test \
        --class frog --batches 20 --set n_handicap=4

Trains a fresh model (the post's train.py settings for the system and data,
changed by `--set name=value`) with its rule, and after every batch prints,
on that batch: the rule's figures, the fakes' mean and their spread (mean
pairwise distance) as a share of the real batch's, the share of saturated
output pixels (< 0.001 or > 0.999), what the critic says of real and of fake
images, and the global norm of the adversarial loss's gradient reaching G.
A spread share near 0 is a collapse; the first batch below 0.05 is named.
"""

import argparse
import ast
import os
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import settings  # noqa: E402
from datasets import load_dataset  # noqa: E402
from evaluate import spread  # noqa: E402
from model import generator_loss  # noqa: E402
from resnet import classifier_loss  # noqa: E402
from run_folder import system_class  # noqa: E402
from train import model_settings  # noqa: E402

SPREAD_IMAGES = 200  # spread is quadratic in the images compared


def critic_view(model, x, labels):
    """(real score, fake score, adversarial gradient norm at G, fakes): scores are D's p(real) for
    the CPPN-GAN-VAE and p(fake class) for the residual system's classifier critic."""
    with tf.GradientTape() as tape:
        _, _, fakes = model._reconstruct(x)
        on_fake = model.discriminator(fakes, training=True)
        if model.system == "resnet":
            adversarial = classifier_loss(labels, on_fake)[0]
        else:
            adversarial = generator_loss(on_fake)
    gradient = tape.gradient(adversarial, model.generator.trainable_variables)
    on_real = model.discriminator(x, training=True)
    if model.system == "resnet":
        scores = on_real[:, model.n_classes], on_fake[:, model.n_classes]
    else:
        scores = on_real, on_fake
    return (float(tf.reduce_mean(scores[0])), float(tf.reduce_mean(scores[1])),
            float(tf.linalg.global_norm([g for g in gradient if g is not None])), fakes.numpy())


def trace_row(model, name, x, labels, figures, seconds):
    """Print one row of the trace on the first SPREAD_IMAGES of x → the fakes' spread ÷ the real images'."""
    x, labels = x[:SPREAD_IMAGES], labels[:SPREAD_IMAGES]
    real_score, fake_score, norm, fakes = critic_view(model, tf.constant(x), tf.constant(labels))
    share = spread(fakes) / spread(x)
    saturated = float(np.mean((fakes < 1e-3) | (fakes > 1 - 1e-3)))
    print(f"| {name} | {' | '.join(figures)} | {fakes.mean():.3f} | {x.mean():.3f} | {share:.3f} | {saturated:.1%} | "
          f"{real_score:.3f} | {fake_score:.3f} | {norm:.2e} | {seconds} |", flush=True)
    return share


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=("cppnvae", "resnet"), default="cppnvae")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--split", default=None)
    p.add_argument("--class", dest="class_name", default=None)
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change one of the model's settings, e.g. --set learning_rate=0.001")
    args = p.parse_args()
    keras.utils.set_random_seed(args.seed)
    data = load_dataset(args.dataset, args.data_dir, args.split, seed=args.seed, class_name=args.class_name)
    changes = dict(x_dim=None)
    for change in args.set:
        name, value = change.split("=", 1)
        if name not in settings.DEFAULTS[args.model]:
            p.error(f"--set {name}: not a {args.model} setting")
        changes[name] = ast.literal_eval(value)
    values = model_settings(argparse.Namespace(**changes), args.model, data.images.shape[-1],
                            len(data.class_names or ()) or 1)
    model = system_class(args.model)(**values, seed=args.seed)
    model.compile()
    data.set_crop_size(model.x_dim)
    print(f"{args.model} on {data.num_examples} images, batch {model.batch_size}; changed: {args.set or 'nothing'}")
    print("| batch | d | g | vae | steps | fake mean | real mean | spread share | saturated | critic on real | "
          "critic on fake | grad norm at G | s |")
    print("|" + "---|" * 13)
    # The untrained model, on images no batch uses, then each batch after its rule has run.
    trace_row(model, "0 (untrained)", data.center_crops(), data.labels, ("",) * 4, "")
    collapsed = None
    for batch in range(1, args.batches + 1):
        x, labels = data.next_batch(model.batch_size, with_label=True)
        start = time.perf_counter()
        figures = model.partial_train(x, labels if args.model == "resnet" else None)
        seconds = f"{time.perf_counter() - start:.0f}"
        figures = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in figures]
        if trace_row(model, batch, x, labels, figures, seconds) < 0.05 and collapsed is None:
            collapsed = batch
    print(f"first batch with spread share < 0.05: {collapsed or 'none'}")


if __name__ == "__main__":
    main()
