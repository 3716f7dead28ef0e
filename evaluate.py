"""Judge a trained CPPN as the field judges generators: `python evaluate.py save/`.

Digit models are judged with the project's digit classifier, a small convnet
trained on the 60,000 MNIST `train` digits (26×26 crops) and checked on the
held-out `t10k` (`python evaluate.py --train-classifier` makes it). The
figures, each against issue 15's target:

- how many of the 10 digits hold at least 6 % of 10,000 prior samples (all 10);
- the share of prior samples classified with confidence ≥ 0.8 (≥ 85 %);
- the share of held-out `t10k` digits whose reconstruction keeps its label (≥ 95 %);
- the share of samples whose 1080×1080 render, downsampled, gets the class
  of its 26×26 render (≥ 97 %);
- the distribution figures on the classifier's penultimate-layer features
  (no Inception network, nothing downloaded): Fréchet distance (FID-style,
  ≤ 5 × the real-vs-real floor), KID (unbiased MMD² with the cubic polynomial
  kernel, averaged over subsets), and precision and recall of k-nearest-
  neighbour manifolds (k = 3, Kynkäänniemi et al. 2019; recall ≥ 0.5), all
  between the prior samples and the `t10k` digits, beside the same figures for
  as many `train` digits against `t10k` (the real-vs-real floor).

Every model, colour included, gets the collapse figures: the spread of the
prior samples (their mean pairwise distance) against the real images' spread,
and the distance between their colour (or grey-level) histograms.
"""

import argparse
import os
import sys
from functools import cached_property

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

import latent_prior
from mnist_data import CROP_SIZE, DataError, read_data_sets

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSIFIER_PATH = os.path.join(HERE, "classifier", "mnist26.keras")
DEFAULT_DATA_DIR = os.path.join(HERE, "..", "shared", "mnist")
CONFIDENT = 0.8  # a sample is "confident" when its top class probability is at least this
COVERED = 0.06  # a digit is covered when it holds at least this share of the prior samples
K_NEAREST = 3  # the k of the precision/recall manifolds
SPREAD_IMAGES = 1000  # images per set in the spread and histogram figures
HISTOGRAM_BINS = 8  # per channel: 8 grey levels, or 8×8×8 colours
# Issue 15's targets for digit models (t10k held out, t = 1): name → (comparison, value).
TARGETS = {
    "covered_classes": (">=", 10),
    "confident": (">=", 0.85),
    "reconstructions_kept": (">=", 0.95),
    "hires_agreement": (">=", 0.97),
    "fid_ratio": ("<=", 5.0),
    "recall": (">=", 0.5),
}
# Issue 16's collapse target for the colour models: the samples spread at least half as much as the real images.
COLOUR_TARGETS = {"spread_ratio": (">=", 0.5)}
# Issue 16's class targets for systems D and E, in place of issue 15's: how many digits must each hold at
# least `share` of the prior samples, and the confident share.
SYSTEM_CLASS_TARGETS = {
    "resnet": dict(share=0.05, digits=8, confident=0.60),
    "wgan-gp": dict(share=0.05, digits=10, confident=0.80),
}


def meets(target, value):
    comparison, bound = target
    return value >= bound if comparison == ">=" else value <= bound


# --------------------------------------------------------------------------- the classifier


def build_classifier():
    """A small convnet for 26×26 digits → 10 class probabilities; its `features` layer feeds the distribution figures."""
    return keras.Sequential(
        [
            keras.Input(shape=(CROP_SIZE, CROP_SIZE, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu", name="features"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="digit_classifier",
    )


def train_classifier(train, epochs=5, seed=0):
    """Fit the classifier on random 26×26 crops of `train` (a labelled DataSet); the rate falls for the last epoch."""
    keras.utils.set_random_seed(seed)
    classifier = build_classifier()
    steps = train.num_examples // 100
    rate = keras.optimizers.schedules.PiecewiseConstantDecay([steps * (epochs - 1)], [1e-3, 1e-4])
    classifier.compile(optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    classifier.fit(train.tf_dataset(100, seed=seed, with_labels=True), epochs=epochs, steps_per_epoch=steps,
                   shuffle=False, verbose=2)
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


def features_and_probabilities(classifier, images):
    """The classifier's penultimate-layer activations and its class probabilities, in one pass."""
    both = keras.Model(classifier.inputs, [classifier.layers[-2].output, classifier.outputs[0]])
    features, probabilities = both.predict(classifier_view(images), verbose=0, batch_size=500)
    return features.astype(np.float64), probabilities


# --------------------------------------------------------------------------- distribution figures (numpy)


def frechet_distance(a, b):
    """Fréchet distance between Gaussians fitted to two feature sets [n, d] (FID's formula)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return frechet_distance_of_moments(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def frechet_distance_of_moments(mean_a, cov_a, mean_b, cov_b):
    """‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½), with tr (Σa Σb)^½ = Σ √eig(Σa^½ Σb Σa^½) (symmetric, no complex sqrtm)."""
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sum(np.sqrt(np.clip(cross, 0, None)))
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return max(float(distance), 0.0)  # round-off may dip a hair below 0 for equal sets


def polynomial_kernel(a, b):
    """KID's kernel: (a·b / d + 1)³."""
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """The unbiased estimate of MMD² between two samples under the cubic polynomial kernel."""
    m, n = len(x), len(y)
    k_xx, k_yy = polynomial_kernel(x, x), polynomial_kernel(y, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * polynomial_kernel(x, y).mean())


def kernel_inception_distance(a, b, subsets=100, subset_size=1000, seed=0):
    """KID on these features: mmd2_unbiased over `subsets` random subsets of each set → (mean, standard deviation)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [mmd2_unbiased(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


def _squared_distances(a, b):
    """‖a_i − b_j‖² for every pair, [len(a), len(b)], never negative."""
    square = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(square, 0.0)


def knn_radii(features, k=K_NEAREST, chunk=1000):
    """Each point's distance to its k-th nearest other point (a point never counts as its own neighbour)."""
    features = np.asarray(features, np.float32)
    if len(features) <= k:
        raise ValueError(f"{len(features)} points have no {k}-th nearest neighbour; give more than {k}")
    radii = np.empty(len(features), np.float64)
    for start in range(0, len(features), chunk):
        square = _squared_distances(features[start : start + chunk], features)
        rows = np.arange(len(square))
        square[rows, start + rows] = np.inf
        radii[start : start + chunk] = np.sqrt(np.partition(square, k - 1, axis=1)[:, k - 1])
    return radii


def manifold_coverage(points, centres, radii, chunk=1000):
    """Share of `points` inside at least one ball (centres[i], radii[i]): the kNN estimate of a manifold."""
    points, centres = np.asarray(points, np.float32), np.asarray(centres, np.float32)
    limit = np.asarray(radii, np.float64) ** 2
    inside = [np.any(_squared_distances(points[start : start + chunk], centres) <= limit, axis=1)
              for start in range(0, len(points), chunk)]
    return float(np.mean(np.concatenate(inside)))


def precision_recall(real, fake, k=K_NEAREST, real_radii=None):
    """Kynkäänniemi et al. (2019): precision, the share of fakes on the real manifold; recall, of reals on the fake one."""
    real_radii = knn_radii(real, k) if real_radii is None else real_radii
    return manifold_coverage(fake, real, real_radii), manifold_coverage(real, fake, knn_radii(fake, k))


# --------------------------------------------------------------------------- collapse figures (any image)


def spread(images):
    """Mean pairwise Euclidean distance between the images of a batch (pixels in [0, 1]): ≈ 0 for a collapsed batch."""
    flat = np.asarray(images, np.float64).reshape(len(images), -1)
    if len(flat) < 2:
        raise ValueError("spread needs at least two images")
    distances = np.sqrt(_squared_distances(flat, flat))
    pairs = np.triu_indices(len(flat), k=1)
    return float(distances[pairs].mean())


def colour_histogram(images, bins=HISTOGRAM_BINS):
    """The share of pixels in each of bins^channels cells of colour (or grey-level) space, values in [0, 1]."""
    images = np.asarray(images, np.float64)
    channels = images.shape[-1]
    counts, _ = np.histogramdd(np.clip(images.reshape(-1, channels), 0, 1), bins=[bins] * channels,
                               range=[(0, 1)] * channels)
    return counts.ravel() / counts.sum()


def colour_histogram_distance(a, b, bins=HISTOGRAM_BINS):
    """Total variation distance between two sets' colour histograms: 0 same colours, 1 no colour in common."""
    return float(0.5 * np.abs(colour_histogram(a, bins) - colour_histogram(b, bins)).sum())


# --------------------------------------------------------------------------- judging images against real ones


class RealImages:
    """The real images samples are judged against, with what is measured on them once.

    `classifier` (digits only) gives their features, class probabilities and
    kNN radii; without it only the collapse figures are measured. Spread and
    histograms use a fixed subset of `n_spread` images.
    """

    def __init__(self, images, classifier=None, n_spread=SPREAD_IMAGES, seed=0):
        self.images = np.asarray(images, dtype=np.float32)
        self.classifier = classifier
        pick = np.random.default_rng(seed).choice(len(self.images), min(n_spread, len(self.images)), replace=False)
        self.spread_batch = self.images[np.sort(pick)]

    def __len__(self):
        return len(self.images)

    @cached_property
    def _classified(self):
        return features_and_probabilities(self.classifier, self.images)

    @property
    def features(self):
        return self._classified[0]

    @property
    def probabilities(self):
        return self._classified[1]

    @cached_property
    def radii(self):
        return knn_radii(self.features)

    @cached_property
    def spread(self):
        return spread(self.spread_batch)


def class_figures(probabilities):
    """Classified images → dict: covered_classes (digits with ≥ 6 %), confident (share ≥ 0.8), class_shares."""
    shares = np.bincount(np.argmax(probabilities, axis=1), minlength=10) / len(probabilities)
    return dict(covered_classes=int(np.sum(shares >= COVERED)),
                confident=float(np.mean(probabilities.max(axis=1) >= CONFIDENT)), class_shares=shares)


def collapse_figures(images, real):
    """Spread of `images` (their first n_spread), its ratio to the real images', and the histogram distance."""
    batch = np.asarray(images, np.float32)[: len(real.spread_batch)]
    figures = dict(spread=spread(batch))
    figures["spread_ratio"] = figures["spread"] / real.spread if real.spread > 0 else float("nan")
    figures["histogram_distance"] = colour_histogram_distance(batch, real.spread_batch)
    return figures


def compare_to_real(images, real, kid_subsets=100, kid_subset_size=1000, seed=0):
    """All the figures of a set of images against `real` (a RealImages) → dict.

    With a classifier: the class figures and fid, kid (and kid_std over
    subsets), precision, recall; always the collapse figures.
    """
    figures = {}
    if real.classifier is not None:
        features, probabilities = features_and_probabilities(real.classifier, images)
        figures.update(class_figures(probabilities))
        figures["fid"] = frechet_distance(features, real.features)
        figures["kid"], figures["kid_std"] = kernel_inception_distance(features, real.features, kid_subsets,
                                                                       kid_subset_size, seed)
        figures["precision"], figures["recall"] = precision_recall(real.features, features, real_radii=real.radii)
    figures.update(collapse_figures(images, real))
    return figures


# --------------------------------------------------------------------------- a model's figures


def prior_samples(model, n, seed, temperature=1.0, prior=None):
    """n prior samples at the training size and scale, and their latents: z from `prior` (a
    latent_prior distribution; N(0, 1) by default) spread by t."""
    prior = prior or latent_prior.StandardNormal(model.z_dim)
    z = prior.sample(n, np.random.default_rng(seed), temperature)
    return z, model.generate(z, model.x_dim, model.y_dim, scale=model.scale)


def reconstructions_kept(model, classifier, images, labels):
    """Share of digits whose reconstruction (through z_mean) the classifier gives the same label."""
    drawn = model.generate(model.encode(images), model.x_dim, model.y_dim, scale=model.scale)
    return accuracy(classifier, drawn, labels)


def hires_agreement(model, classifier, n=100, size=1080, seed=1, temperature=1.0, prior=None):
    """Share of samples whose size×size render, area-downsampled, gets the 26×26 render's class."""
    z, small = prior_samples(model, n, seed, temperature, prior)
    small_class = np.argmax(predict(classifier, small), axis=1)
    agree = 0
    for i in range(n):
        big = model.generate(z[i : i + 1], size, size, scale=model.scale)
        down = tf.image.resize(big, (model.y_dim, model.x_dim), method="area").numpy()
        agree += int(np.argmax(predict(classifier, down)[0]) == small_class[i])
    return agree / n


def evaluate(model, real=None, heldout=None, n_samples=10000, n_reconstructions=10000, n_hires=100, hires_size=1080,
             seed=0, temperature=1.0, kid_subsets=100, classifier=None, prior=None):
    """All the figures for one model as a dict: against `real` (a RealImages) and its classifier, or,
    without real images, the class figures of `classifier` alone.

    Reconstructions need labelled held-out digits (`heldout`, a DataSet) and
    a classifier; so do the large renders. The prior samples' latents depend
    on the seed and the prior alone (`prior`: a latent_prior distribution, N(0, 1)
    by default), so models are compared on the same draws.
    """
    _, samples = prior_samples(model, n_samples, seed, temperature, prior)
    if real is not None:
        classifier = real.classifier
        figures = compare_to_real(samples, real, kid_subsets=kid_subsets, seed=seed)
    else:
        figures = class_figures(predict(classifier, samples)) if classifier is not None else {}
    if classifier is None:
        return figures
    if heldout is not None and n_reconstructions and model.has_encoder:
        pick = np.random.default_rng(seed).choice(heldout.num_examples, min(n_reconstructions, heldout.num_examples),
                                                  replace=False)
        figures["reconstructions_kept"] = reconstructions_kept(model, classifier, heldout.center_crops()[pick],
                                                               heldout.labels[pick])
    if n_hires:
        figures["hires_agreement"] = hires_agreement(model, classifier, n_hires, hires_size, seed + 1, temperature,
                                                     prior)
    return figures


def epoch_figures(model, real=None, heldout=None, n_samples=2000, n_reconstructions=500, n_hires=8, hires_size=1080,
                  classifier=None, seed=0):
    """The cheap per-epoch subset for training logs: 2,000 samples, 10 KID subsets, fewer reconstructions and renders.

    Give `real` as many real images as samples: FID and recall depend on the counts.
    """
    return evaluate(model, real, heldout, n_samples, n_reconstructions, n_hires, hires_size, seed, kid_subsets=10,
                    classifier=classifier)


# --------------------------------------------------------------------------- the report


def report(figures, floor=None, classifier_accuracy=None, counts=None, system=None):
    """The figures as a Markdown table: value, the real-vs-real `floor`, target, met (`counts`: sample sizes).

    `system` "resnet" or "wgan-gp" judges the classes by that system's targets (SYSTEM_CLASS_TARGETS).
    """
    counts = dict(dict(samples=10000, reconstructions=10000, hires=100, hires_size=1080), **(counts or {}))
    floor = floor or {}
    rows = []
    targets = {**TARGETS, **COLOUR_TARGETS}
    covered, shown_digits, shown_confident = COVERED, "10 / 10", "≥ 85 %"
    if system in SYSTEM_CLASS_TARGETS:
        own = SYSTEM_CLASS_TARGETS[system]
        covered, shown_digits, shown_confident = own["share"], f"≥ {own['digits']} / 10", f"≥ {own['confident']:.0%}"
        targets.update(covered_classes=(">=", own["digits"]), confident=(">=", own["confident"]))

    def row(label, text, real="", name=None, value=None, shown_target=""):
        met = "" if name is None else ("yes" if meets(targets[name], value) else "**no**")
        rows.append((label, text, real, shown_target, met))

    def of_floor(name, form):
        return form.format(floor[name]) if name in floor else ""

    if classifier_accuracy is not None:
        rows.append(("classifier accuracy on held-out digits", f"{classifier_accuracy:.2%}", "", "≥ 99 %",
                     "yes" if classifier_accuracy >= 0.99 else "**no**"))
    if "covered_classes" in figures:
        shares = figures["class_shares"]
        smallest = int(np.argmin(shares))
        n_covered = int(np.sum(shares >= covered - 1e-9))
        row(f"digits holding ≥ {covered:.0%} of {counts['samples']} prior samples (smallest share)",
            f"{n_covered} / 10 ({smallest}: {shares[smallest]:.1%})",
            of_floor("covered_classes", "{} / 10"), "covered_classes", n_covered, shown_digits)
        row(f"prior samples classified with confidence ≥ {CONFIDENT}", f"{figures['confident']:.1%}",
            of_floor("confident", "{:.1%}"), "confident", figures["confident"], shown_confident)
    if "reconstructions_kept" in figures:
        row(f"held-out reconstructions keeping their label ({counts['reconstructions']})",
            f"{figures['reconstructions_kept']:.1%}", "", "reconstructions_kept", figures["reconstructions_kept"],
            "≥ 95 %")
    if "hires_agreement" in figures:
        size = counts["hires_size"]
        row(f"{size}×{size} render agrees with 26×26 ({counts['hires']} samples)", f"{figures['hires_agreement']:.1%}",
            "", "hires_agreement", figures["hires_agreement"], "≥ 97 %")
    if "fid" in figures:
        if floor:
            ratio = figures["fid"] / floor["fid"] if floor["fid"] > 0 else float("inf")
            row("Fréchet distance on classifier features", f"{figures['fid']:.3g} ({ratio:.1f} × floor)",
                f"{floor['fid']:.3g}", "fid_ratio", ratio, f"≤ 5 × floor = {5 * floor['fid']:.3g}")
        else:
            row("Fréchet distance on classifier features", f"{figures['fid']:.3g}")
        row("KID, cubic kernel (mean ± sd over subsets)", f"{figures['kid']:.3g} ± {figures['kid_std']:.2g}",
            f"{floor['kid']:.3g} ± {floor['kid_std']:.2g}" if floor else "")
        row(f"precision (k = {K_NEAREST})", f"{figures['precision']:.3f}", of_floor("precision", "{:.3f}"))
        row(f"recall (k = {K_NEAREST})", f"{figures['recall']:.3f}", of_floor("recall", "{:.3f}"), "recall",
            figures["recall"], "≥ 0.5")
    colour = figures.get("channels", 1) == 3
    real_spread = figures["spread"] / figures["spread_ratio"] if figures["spread_ratio"] > 0 else float("nan")
    row(f"spread: mean pairwise distance of {min(counts['samples'], SPREAD_IMAGES)} samples ÷ the real images'",
        f"{figures['spread_ratio']:.2f} ({figures['spread']:.2f} / {real_spread:.2f})", of_floor("spread_ratio", "{:.2f}"),
        *(("spread_ratio", figures["spread_ratio"], "≥ 0.5") if colour else ()))
    row(f"{'colour' if colour else 'grey-level'} histogram distance to the real images (0 – 1)",
        f"{figures['histogram_distance']:.3f}", of_floor("histogram_distance", "{:.3f}"))
    lines = ["| figure | value | real images | target | met |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(cell) for cell in cells) + " |" for cells in rows]
    if "class_shares" in figures:
        shares = " ".join(f"{digit}:{share:.1%}" for digit, share in enumerate(figures["class_shares"]))
        lines += ["", f"prior samples per class: {shares}"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def is_digit_model(model, config):
    """A grey model trained on all ten MNIST digits: the classifier applies."""
    data = config.get("data") or config.get("training") or {}
    return model.c_dim == 1 and data.get("dataset", "mnist") == "mnist" and not data.get("class")


def digit_references(classifier, data_dir, heldout_split, train_split, crop_size, n, seed=0):
    """Digit models: the held-out digits as RealImages and DataSet, and n training digits for the floor."""
    heldout = read_data_sets(data_dir, heldout_split, seed=0, crop_size=crop_size)
    reference = read_data_sets(data_dir, train_split, seed=0, crop_size=crop_size)  # shuffled: any n are a fair draw
    real = RealImages(heldout.center_crops(), classifier, seed=seed)
    where = (f"the {len(real)} {heldout_split} digits (real images column: {min(n, reference.num_examples)} "
             f"{train_split} digits against them; class rows: the {heldout_split} digits themselves)")
    return real, heldout, reference.center_crops()[:n], where


def picture_references(images, seed=0):
    """Other models: half of their real images as RealImages, the other half for the floor."""
    halves = np.array_split(np.random.default_rng(seed).permutation(len(images)), 2)
    where = f"{len(halves[0])} of its real images (real images column: the other {len(halves[1])} against them)"
    return RealImages(images[halves[0]], seed=seed), images[halves[1]], where


def build_parser():
    p = argparse.ArgumentParser(description="Judge a trained CPPN: digit classifier figures, FID/KID/precision/recall "
                                            "on classifier features, and the collapse figures (any model).")
    p.add_argument("model_dir", nargs="?", help="the trained model (default: save; with --train-classifier: none)")
    p.add_argument("--classifier", default=CLASSIFIER_PATH, help="digit classifier (default: classifier/mnist26.keras)")
    p.add_argument("--train-classifier", action="store_true", help="train the classifier on --train-split and save it")
    p.add_argument("--classifier-epochs", type=int, default=5, help="its training epochs (default: 5)")
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="MNIST IDX folder (default: ../shared/mnist)")
    p.add_argument("--train-split", default="train", help="the classifier's training digits, and the real-vs-real "
                                                          "floor's (default: train)")
    p.add_argument("--heldout-split", default="t10k", help="held-out digits, the real images (default: t10k)")
    p.add_argument("--real-dir", help="non-digit models: the real images' folder (default: the run's training data)")
    p.add_argument("--samples", type=int, default=10000, help="prior samples (default: 10000)")
    p.add_argument("--reconstructions", type=int, default=10000, help="held-out digits to reconstruct (default: 10000)")
    p.add_argument("--hires", type=int, default=100, help="samples rendered large; 0 skips it (default: 100)")
    p.add_argument("--hires-size", type=int, default=1080, help="their size (default: 1080)")
    p.add_argument("--temperature", type=float, default=1.0, help="sample z ~ N(0, t²); the targets are for 1 (default)")
    p.add_argument("--prior", choices=latent_prior.CHOICES, default="auto",
                   help="where samples' z come from: normal, N(0, 1); fitted, the model's latent_prior.npz; "
                        "auto: fitted when the model has one (default: auto)")
    p.add_argument("--seed", type=int, default=0)
    return p


def train_and_save_classifier(args):
    """--train-classifier: train on --train-split, save atomically, print the held-out accuracy."""
    train = read_data_sets(args.data_dir, args.train_split, seed=args.seed)
    classifier = train_classifier(train, args.classifier_epochs, seed=args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.classifier)), exist_ok=True)
    partial = args.classifier + ".partial.keras"  # a running train.py never reads a half-written file
    classifier.save(partial)
    os.replace(partial, args.classifier)
    print(f"saved {args.classifier}")
    heldout = read_data_sets(args.data_dir, args.heldout_split, seed=0)
    print(f"classifier accuracy on {args.heldout_split}: "
          f"{accuracy(classifier, heldout.center_crops(), heldout.labels):.2%}")


def main(argv=None):
    p = build_parser()
    args = p.parse_args(argv)
    if args.samples <= K_NEAREST:
        p.error(f"--samples must be more than {K_NEAREST}")
    from run_folder import RunFolderError, load_trained, training_images  # CheckpointError is a RunFolderError

    try:
        if args.train_classifier:
            train_and_save_classifier(args)
            if args.model_dir is None:
                return 0
        args.model_dir = args.model_dir or "save"
        model, config, epoch = load_trained(args.model_dir)
        prior = latent_prior.load(args.model_dir, model.z_dim, args.prior)
        data, digits = config.get("data") or {}, is_digit_model(model, config)
        drawn = (f"a {prior.components}-component mixture fitted to its training images' encodings"
                 if prior.name == "fitted" else "N(0, 1)")
        print(f"{args.model_dir}: {model.system or 'cppnvae'} model, epoch {epoch}, "
              f"{'digits' if digits else 'colour' if model.c_dim == 3 else 'grey'}, trained on "
              f"{data.get('split') or data.get('class') or 'its data'}; samples draw z from {drawn}", flush=True)
        if digits:
            if not os.path.exists(args.classifier):
                p.exit(1, f"{p.prog}: error: no classifier at {args.classifier}; make it with --train-classifier\n")
            classifier = keras.saving.load_model(args.classifier)
            real, heldout, reference_images, where = digit_references(
                classifier, args.data_dir, args.heldout_split, args.train_split, model.x_dim, args.samples, args.seed)
            classifier_accuracy = accuracy(classifier, heldout.center_crops(), heldout.labels)
            if data.get("split") == args.heldout_split:
                print(f"note: this model trained on {args.heldout_split}, so its figures against those digits "
                      f"are not held out")
        else:
            heldout, classifier_accuracy = None, None
            images = training_images(config, args.model_dir, model, args.real_dir).center_crops()
            real, reference_images, where = picture_references(images, args.seed)
    except (DataError, RunFolderError, ValueError) as error:
        p.exit(1, f"{p.prog}: error: {error}\n")
    if args.temperature != 1.0:
        print(f"sampling at temperature {args.temperature}: the targets are for t = 1")
    figures = evaluate(model, real, heldout, args.samples, args.reconstructions, args.hires if digits else 0,
                       args.hires_size, args.seed, args.temperature, prior=prior)
    figures["channels"] = model.c_dim
    floor = compare_to_real(reference_images, real, seed=args.seed) if len(reference_images) > K_NEAREST else None
    if floor and digits:  # the class figures' reference: the held-out digits themselves, not the classifier's own
        floor.update(class_figures(real.probabilities))
    n_reconstructions = min(args.reconstructions, heldout.num_examples) if heldout is not None else 0
    print(f"judged against {where}")
    print(report(figures, floor, classifier_accuracy, dict(samples=args.samples, reconstructions=n_reconstructions,
                                                           hires=args.hires, hires_size=args.hires_size),
                 system=model.system))
    return 0


if __name__ == "__main__":
    sys.exit(main())
