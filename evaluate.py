"""Judge a trained CPPN-GAN-VAE with the project's digit classifier: `python evaluate.py save/`.

The classifier is a small convnet trained on MNIST `t10k` (26×26 crops) and
checked on the held-out `train5k`; `python evaluate.py --train-classifier`
makes it. The figures, with the targets the shipped model aims for:

- the classifier's own accuracy on held-out digits;
- how many of the 10 classes hold at least 4 % of 1,000 prior samples (10);
- the share of prior samples classified with confidence ≥ 0.8 (≥ 85 %);
- the share of 500 held-out digits whose reconstruction keeps its label (≥ 90 %);
- the share of samples whose 1080×1080 render, downsampled, is classified
  as the same digit as its 26×26 render (≥ 95 %).
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from mnist_data import CROP_SIZE, DataError, read_data_sets

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSIFIER_PATH = os.path.join(HERE, "classifier", "mnist26.keras")
DEFAULT_DATA_DIR = os.path.join(HERE, "..", "shared", "mnist")
CONFIDENT = 0.8
COVERED = 0.04
TARGETS = {"covered_classes": 10, "confident": 0.85, "reconstructions_kept": 0.90, "hires_agreement": 0.95}


# --------------------------------------------------------------------------- the classifier


def build_classifier():
    """A small convnet for 26×26 digits → 10 class probabilities."""
    return keras.Sequential(
        [
            keras.Input(shape=(CROP_SIZE, CROP_SIZE, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="digit_classifier",
    )


def train_classifier(train, epochs=12, seed=0):
    """Fit the classifier on random 26×26 crops of `train` (a labelled DataSet)."""
    keras.utils.set_random_seed(seed)
    classifier = build_classifier()
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    classifier.fit(train.tf_dataset(100, seed=seed, with_labels=True), epochs=epochs, shuffle=False, verbose=2)
    inference = build_classifier()  # weights only: the optimizer's state would triple the file
    inference.set_weights(classifier.get_weights())
    return inference


def classifier_view(images):
    """Images at a model's training size → the classifier's 26×26: 28×28 (wgan-gp) lose their 1-pixel
    border as the classifier's training crops did; other sizes are area-resized."""
    images = np.asarray(images, dtype=np.float32)
    size = images.shape[1]
    if size == CROP_SIZE + 2:
        return images[:, 1:-1, 1:-1]
    if size != CROP_SIZE:
        return tf.image.resize(images, (CROP_SIZE, CROP_SIZE), method="area").numpy()
    return images


def predict(classifier, images):
    return classifier.predict(classifier_view(images), verbose=0, batch_size=500)


def accuracy(classifier, images, labels):
    return float(np.mean(np.argmax(predict(classifier, images), axis=1) == labels))


# --------------------------------------------------------------------------- the figures


def prior_samples(model, n, seed):
    """n prior samples at the training size and scale, and their latents."""
    z = np.random.default_rng(seed).normal(size=(n, model.z_dim)).astype(np.float32)
    return z, model.generate(z, model.x_dim, model.y_dim, scale=model.scale)


def prior_quality(model, classifier, n=1000, seed=0):
    """(classes with ≥ 4 % of samples, share classified with confidence ≥ 0.8, share per class)."""
    _, images = prior_samples(model, n, seed)
    probabilities = predict(classifier, images)
    shares = np.bincount(np.argmax(probabilities, axis=1), minlength=10) / n
    return int(np.sum(shares >= COVERED)), float(np.mean(probabilities.max(axis=1) >= CONFIDENT)), shares


def reconstructions_kept(model, classifier, images, labels):
    """Share of digits whose reconstruction (through z_mean) the classifier gives the same label."""
    drawn = model.generate(model.encode(images), model.x_dim, model.y_dim, scale=model.scale)
    return accuracy(classifier, drawn, labels)


def hires_agreement(model, classifier, n=100, size=1080, seed=1):
    """Share of samples whose size×size render, area-downsampled, gets the 26×26 render's class."""
    z, small = prior_samples(model, n, seed)
    small_class = np.argmax(predict(classifier, small), axis=1)
    agree = 0
    for i in range(n):
        big = model.generate(z[i : i + 1], size, size, scale=model.scale)
        down = tf.image.resize(big, (model.y_dim, model.x_dim), method="area").numpy()
        agree += int(np.argmax(predict(classifier, down)[0]) == small_class[i])
    return agree / n


def evaluate(model, classifier, heldout=None, n_samples=1000, n_reconstructions=500, n_hires=100, hires_size=1080,
             seed=0):
    """All the figures for one model, as a dict (reconstructions only with held-out digits)."""
    covered, confident, shares = prior_quality(model, classifier, n_samples, seed)
    figures = dict(covered_classes=covered, confident=confident, class_shares=shares)
    if heldout is not None and n_reconstructions and model.has_encoder:
        rng = np.random.default_rng(seed)
        pick = rng.choice(heldout.num_examples, size=min(n_reconstructions, heldout.num_examples), replace=False)
        figures["reconstructions_kept"] = reconstructions_kept(
            model, classifier, heldout.center_crops()[pick], heldout.labels[pick]
        )
    if n_hires:
        figures["hires_agreement"] = hires_agreement(model, classifier, n_hires, hires_size, seed + 1)
    return figures


def report(figures, classifier_accuracy, n_samples, n_reconstructions, n_hires, hires_size):
    """The figures as a Markdown table, each with its target and whether it is met."""

    def met(name, value):
        return "yes" if value >= TARGETS[name] else "**no**"

    rows = [
        ("classifier accuracy on held-out digits", f"{classifier_accuracy:.1%}", "", ""),
        (f"classes holding ≥ 4 % of {n_samples} prior samples", f"{figures['covered_classes']} / 10", "10",
         met("covered_classes", figures["covered_classes"])),
        (f"prior samples classified with confidence ≥ {CONFIDENT}", f"{figures['confident']:.1%}", "≥ 85 %",
         met("confident", figures["confident"])),
    ]
    if "reconstructions_kept" in figures:
        rows.append((f"held-out reconstructions keeping their label ({n_reconstructions})",
                     f"{figures['reconstructions_kept']:.1%}", "≥ 90 %",
                     met("reconstructions_kept", figures["reconstructions_kept"])))
    if "hires_agreement" in figures:
        rows.append((f"{hires_size}×{hires_size} render agrees with 26×26 ({n_hires} samples)",
                     f"{figures['hires_agreement']:.1%}", "≥ 95 %", met("hires_agreement", figures["hires_agreement"])))
    lines = ["| figure | value | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    shares = " ".join(f"{digit}:{share:.1%}" for digit, share in enumerate(figures["class_shares"]))
    return "\n".join(lines) + f"\n\nprior samples per class: {shares}"


# --------------------------------------------------------------------------- command line


def main(argv=None):
    p = argparse.ArgumentParser(description="Judge a trained CPPN-GAN-VAE with the project's digit classifier.")
    p.add_argument("model_dir", nargs="?", default="save", help="the trained model (default: save)")
    p.add_argument("--classifier", default=CLASSIFIER_PATH, help="digit classifier (default: classifier/mnist26.keras)")
    p.add_argument("--train-classifier", action="store_true", help="train the classifier on --train-split and save it")
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="MNIST IDX folder (default: ../shared/mnist)")
    p.add_argument("--train-split", default="t10k", help="the classifier's training digits (default: t10k)")
    p.add_argument("--heldout-split", default="train5k", help="held-out digits (default: train5k)")
    p.add_argument("--samples", type=int, default=1000, help="prior samples (default: 1000)")
    p.add_argument("--reconstructions", type=int, default=500, help="held-out digits to reconstruct (default: 500)")
    p.add_argument("--hires", type=int, default=100, help="samples rendered large; 0 skips it (default: 100)")
    p.add_argument("--hires-size", type=int, default=1080, help="their size (default: 1080)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    from model import CheckpointError, load_trained

    try:
        if args.train_classifier:
            classifier = train_classifier(read_data_sets(args.data_dir, args.train_split, seed=args.seed), seed=args.seed)
            os.makedirs(os.path.dirname(os.path.abspath(args.classifier)), exist_ok=True)
            classifier.save(args.classifier)
            print(f"saved {args.classifier}")
        elif not os.path.exists(args.classifier):
            p.exit(1, f"{p.prog}: error: no classifier at {args.classifier}; make it with --train-classifier\n")
        classifier = keras.saving.load_model(args.classifier)
        heldout = read_data_sets(args.data_dir, args.heldout_split, seed=0)  # the same digits every time
        classifier_accuracy = accuracy(classifier, heldout.center_crops(), heldout.labels)
        if args.train_classifier and not os.path.isdir(args.model_dir):
            print(f"classifier accuracy on {args.heldout_split}: {classifier_accuracy:.2%}")
            return 0
        model, _, _ = load_trained(args.model_dir)
        if model.c_dim != 1:
            raise DataError(f"{args.model_dir} holds a colour model; evaluate.py judges digit models")
        heldout.set_crop_size(model.x_dim)
    except (DataError, CheckpointError) as error:
        p.exit(1, f"{p.prog}: error: {error}\n")
    figures = evaluate(model, classifier, heldout, args.samples, args.reconstructions, args.hires, args.hires_size, args.seed)
    print(report(figures, classifier_accuracy, args.samples, args.reconstructions, args.hires, args.hires_size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
