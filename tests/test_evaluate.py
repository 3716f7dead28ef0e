"""evaluate.py: the metrics on inputs whose answer is known, the figures counted with a stub classifier, the
shipped classifier, the CLI on digit and colour models."""

import json
import os

import numpy as np
import pytest
from PIL import Image

import evaluate
import latent_prior
from conftest import SHARED_MNIST, digit_like, write_split
from mnist_data import read_data_sets
from latent_prior import GaussianMixture
from model import CPPNVAE


class StubClassifier:
    """Answers with fixed probabilities, one row per image, cycling through `rows`."""

    def __init__(self, rows):
        self.rows = np.asarray(rows, dtype=np.float32)

    def predict(self, images, verbose=0, batch_size=None):
        return np.resize(self.rows, (len(images), 10))


def one_hot(label, confidence=1.0):
    row = np.full(10, (1 - confidence) / 9)
    row[label] = confidence
    return row


def gaussian(n, d=8, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


# --------------------------------------------------------------------------- Fréchet distance and KID


def test_frechet_distance_is_zero_for_identical_sets_and_the_shift_for_shifted_ones():
    x = gaussian(2000)
    shift = np.arange(8) / 4.0
    assert evaluate.frechet_distance(x, x) == pytest.approx(0, abs=1e-9)
    # a shift leaves the sample covariance as it is: the distance is exactly ‖shift‖²
    assert evaluate.frechet_distance(x, x + shift) == pytest.approx(np.sum(shift**2), rel=1e-9)


def test_frechet_distance_of_gaussians_is_the_analytic_one():
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    # diagonal covariances: ‖μa − μb‖² + Σ (σa − σb)² = 5 + (1 + 1 + 0)
    assert evaluate.frechet_distance_of_moments(mean_a, np.diag(var_a), mean_b, np.diag(var_b)) == pytest.approx(7.0)
    # a rotated covariance (not commuting with the other) against itself rotated back: the same Gaussian shape
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    cov = np.diag([1.0, 9.0])
    rotated = rotation @ cov @ rotation.T
    assert evaluate.frechet_distance_of_moments(np.zeros(2), rotated, np.zeros(2), rotated) == pytest.approx(0, abs=1e-9)
    # N(0, I) against N(μ, 4 I) in 8 dimensions, μ = 0.5 each, from samples: ‖μ‖² + 8 (2 − 1)² = 2 + 8
    x, y = gaussian(20000, seed=1), 2.0 * gaussian(20000, seed=2) + np.full(8, 0.5)
    assert evaluate.frechet_distance(x, y) == pytest.approx(10.0, rel=0.03)


def test_mmd2_unbiased_is_the_formula():
    x, y = gaussian(5, 3, seed=3), gaussian(4, 3, seed=4)

    def k(a, b):
        return (a @ b / 3 + 1) ** 3

    within_x = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / 20
    within_y = sum(k(y[i], y[j]) for i in range(4) for j in range(4) if i != j) / 12
    across = sum(k(a, b) for a in x for b in y) / 20
    assert evaluate.mmd2_unbiased(x, y) == pytest.approx(within_x + within_y - 2 * across)


def test_kid_is_zero_for_identical_or_equally_drawn_sets_and_grows_with_a_shift():
    x = gaussian(1000)
    shifted, _ = evaluate.kernel_inception_distance(x, x + 1.0, subsets=10, subset_size=200)
    same, _ = evaluate.kernel_inception_distance(x, x, subsets=10, subset_size=200)
    fresh, _ = evaluate.kernel_inception_distance(x, gaussian(1000, seed=5), subsets=10, subset_size=200)
    assert shifted > 1.0
    assert abs(same) < 0.01 * shifted and abs(fresh) < 0.01 * shifted


# --------------------------------------------------------------------------- precision and recall


def test_knn_radii_skip_the_point_itself():
    line = np.arange(10, dtype=np.float64)[:, None]
    radii = evaluate.knn_radii(line, k=3, chunk=4)  # chunks must not change the answer
    assert radii[0] == 3 and radii[5] == 2 and radii[9] == 3


def test_precision_and_recall_of_identical_disjoint_and_half_covering_sets():
    rng = np.random.default_rng(6)
    two_modes = np.concatenate([rng.normal(0, 1, (300, 4)), rng.normal(50, 1, (300, 4))])
    assert evaluate.precision_recall(two_modes, two_modes) == (1.0, 1.0)
    far_away = rng.normal(-50, 1, (600, 4))
    assert evaluate.precision_recall(two_modes, far_away) == (0.0, 0.0)
    # fakes from one of the two modes only: all realistic, half the real images covered
    precision, recall = evaluate.precision_recall(two_modes, rng.normal(0, 1, (600, 4)))
    assert precision > 0.85 and 0.45 < recall < 0.55


# --------------------------------------------------------------------------- collapse figures


def test_spread_separates_a_collapsed_batch_from_real_images():
    images, _ = digit_like(60)
    real = evaluate.RealImages(images[:30, 1:-1, 1:-1, None] / 255.0)
    assert real.spread > 1.0
    collapsed = np.repeat(images[30:31, 1:-1, 1:-1, None] / 255.0, 30, axis=0)
    assert evaluate.spread(collapsed) == pytest.approx(0, abs=1e-6)
    assert evaluate.collapse_figures(collapsed, real)["spread_ratio"] < 1e-6
    other_real = evaluate.collapse_figures(images[30:, 1:-1, 1:-1, None] / 255.0, real)["spread_ratio"]
    assert 0.8 < other_real < 1.25


def test_colour_histogram_distance():
    rng = np.random.default_rng(7)
    pictures = rng.random((10, 30, 30, 3))
    assert evaluate.colour_histogram_distance(pictures, pictures) == 0
    red, blue = np.zeros((4, 30, 30, 3)), np.zeros((4, 30, 30, 3))
    red[..., 0], blue[..., 2] = 1.0, 1.0
    assert evaluate.colour_histogram_distance(red, blue) == pytest.approx(1.0)
    half_red = np.concatenate([red[:2], blue[:2]])
    assert evaluate.colour_histogram_distance(red, half_red) == pytest.approx(0.5)


# --------------------------------------------------------------------------- the classifier figures


def test_class_figures_count_classes_and_confidence():
    # 100 samples: classes 0..9 in turn, the odd classes with confidence 0.5
    rows = np.array([one_hot(c, 1.0 if c % 2 == 0 else 0.5) for c in range(10)] * 10)
    figures = evaluate.class_figures(rows)
    assert figures["covered_classes"] == 10 and figures["confident"] == pytest.approx(0.5)
    assert np.allclose(figures["class_shares"], 0.1)
    # 95 threes and 5 sevens: 5 % is under the 6 % that counts as covered
    figures = evaluate.class_figures(np.array([one_hot(3)] * 95 + [one_hot(7)] * 5))
    assert figures["covered_classes"] == 1 and figures["class_shares"][7] == 0.05


def test_reconstructions_and_hires_agreement():
    model = CPPNVAE()
    images = np.zeros((20, 26, 26, 1), np.float32)
    labels = np.array([3] * 15 + [4] * 5)
    assert evaluate.reconstructions_kept(model, StubClassifier([one_hot(3)]), images, labels) == 0.75
    assert evaluate.hires_agreement(model, StubClassifier([one_hot(7)]), n=3, size=64) == 1.0


def test_report_marks_met_and_missed_targets():
    figures = dict(covered_classes=9, confident=0.9, reconstructions_kept=0.95, hires_agreement=0.5,
                   class_shares=np.array([0.04] + [0.96 / 9] * 9), fid=3.0, kid=0.01, kid_std=0.001, precision=0.7,
                   recall=0.4, spread=4.0, spread_ratio=0.8, histogram_distance=0.05)
    floor = dict(covered_classes=10, confident=0.99, fid=1.0, kid=0.0, kid_std=0.001, precision=0.9, recall=0.9,
                 spread_ratio=1.0, histogram_distance=0.01)
    table = evaluate.report(figures, floor, 0.993, dict(samples=1000, reconstructions=500))
    assert "| digits holding ≥ 6% of 1000 prior samples (smallest share) | 9 / 10 (0: 4.0%) | 10 / 10 | 10 / 10 | **no** |" in table
    assert "| prior samples classified with confidence ≥ 0.8 | 90.0% | 99.0% | ≥ 85 % | yes |" in table
    assert "| held-out reconstructions keeping their label (500) | 95.0% |  | ≥ 95 % | yes |" in table
    assert "| 1080×1080 render agrees with 26×26 (100 samples) | 50.0% |  | ≥ 97 % | **no** |" in table
    assert "| Fréchet distance on classifier features | 3 (3.0 × floor) | 1 | ≤ 5 × floor = 5 | yes |" in table
    assert "| recall (k = 3) | 0.400 | 0.900 | ≥ 0.5 | **no** |" in table
    assert "| 0.80 (4.00 / 5.00) | 1.00 |  |  |" in table  # no spread target for digit models
    residual = evaluate.report(figures, floor, 0.993, dict(samples=1000, reconstructions=500), system="resnet")
    assert "| digits holding ≥ 5% of 1000 prior samples (smallest share) | 9 / 10 (0: 4.0%) | 10 / 10 | ≥ 8 / 10 | yes |" in residual
    assert "| prior samples classified with confidence ≥ 0.8 | 90.0% | 99.0% | ≥ 60% | yes |" in residual
    figures["class_shares"] = np.array([0.05] + [0.95 / 9] * 9)
    wgan = evaluate.report(dict(figures, confident=0.7), floor, 0.993, dict(samples=1000), system="wgan-gp")
    assert "| 10 / 10 (0: 5.0%) | 10 / 10 | ≥ 10 / 10 | yes |" in wgan
    assert "| prior samples classified with confidence ≥ 0.8 | 70.0% | 99.0% | ≥ 80% | **no** |" in wgan
    colour = evaluate.report(dict(spread=1.0, spread_ratio=0.2, histogram_distance=0.3, channels=3))
    assert "| 0.20 (1.00 / 5.00) |  | ≥ 0.5 | **no** |" in colour and "colour histogram distance" in colour


@pytest.mark.skipif(not os.path.isdir(SHARED_MNIST), reason="../shared/mnist is not beside the checkout")
def test_shipped_classifier_knows_held_out_digits():
    import keras

    classifier = keras.saving.load_model(evaluate.CLASSIFIER_PATH)
    heldout = read_data_sets(SHARED_MNIST, "t10k")
    assert evaluate.accuracy(classifier, heldout.center_crops(), heldout.labels) >= 0.99


# --------------------------------------------------------------------------- command line


def test_cli_judges_a_digit_model(tmp_path, capsys):
    write_split(tmp_path / "digits", "t10k", *digit_like(30))
    write_split(tmp_path / "digits", "train", *digit_like(30, seed=1))
    CPPNVAE().save_model(str(tmp_path / "save"), 1)
    args = [str(tmp_path / "save"), "--data-dir", str(tmp_path / "digits"), "--samples", "40",
            "--reconstructions", "10", "--hires", "2", "--hires-size", "48"]
    assert evaluate.main(args) == 0
    out = capsys.readouterr().out
    assert "| held-out reconstructions keeping their label (10) |" in out and "48×48 render agrees" in out
    assert "| Fréchet distance on classifier features |" in out and "| recall (k = 3) |" in out
    assert "grey-level histogram distance" in out and "prior samples per class:" in out
    assert "samples draw z from N(0, 1)" in out
    means = np.zeros((2, 32))
    means[:, 0] = [-4.0, 4.0]
    GaussianMixture([0.5, 0.5], means, np.repeat(0.1 * np.eye(32)[None], 2, axis=0)).save(str(tmp_path / "save"))
    z, _ = evaluate.prior_samples(CPPNVAE(), 50, 0, prior=latent_prior.load(str(tmp_path / "save"), 32))
    assert np.all(np.abs(np.abs(z[:, 0]) - 4.0) < 0.5)  # drawn from the mixture, not N(0, 1)
    assert evaluate.main(args + ["--hires", "0"]) == 0
    assert "samples draw z from a 2-component mixture fitted to its training images' encodings" in capsys.readouterr().out
    assert evaluate.main(args + ["--hires", "0", "--prior", "normal"]) == 0
    assert "samples draw z from N(0, 1)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main([str(tmp_path / "nothing"), "--data-dir", str(tmp_path / "digits")])
    assert exit_info.value.code == 1 and "no trained model" in capsys.readouterr().err


def test_cli_judges_a_colour_model_by_spread_and_colour_alone(tmp_path, capsys):
    rng = np.random.default_rng(8)
    os.makedirs(tmp_path / "pictures" / "frog")
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "pictures" / "frog" / f"{i}.png")
    run = tmp_path / "run"
    CPPNVAE(c_dim=3, x_dim=30, y_dim=30).save_model(str(run), 1)
    config = dict(system="cppnvae", model=dict(c_dim=3, x_dim=30, y_dim=30),
                  data={"dataset": "folder", "data_dir_from_run": "../pictures", "class": "frog"})
    (run / "config.json").write_text(json.dumps(config))
    assert evaluate.main([str(run), "--samples", "20"]) == 0
    out = capsys.readouterr().out
    assert "colour histogram distance" in out and "spread: mean pairwise distance of 20 samples" in out
    assert "Fréchet" not in out and "classifier" not in out
