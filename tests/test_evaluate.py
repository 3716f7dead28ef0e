"""evaluate.py: the quality figures, counted by hand with a stub classifier, the shipped classifier, the CLI."""

import os

import numpy as np
import pytest

import evaluate
from conftest import SHARED_MNIST, digit_like, write_split
from mnist_data import read_data_sets
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


def test_prior_quality_counts_classes_and_confidence():
    model = CPPNVAE()
    # 100 samples: classes 0..9 in turn, the odd classes with confidence 0.5
    rows = [one_hot(c, 1.0 if c % 2 == 0 else 0.5) for c in range(10)]
    covered, confident, shares = evaluate.prior_quality(model, StubClassifier(rows), n=100)
    assert covered == 10 and confident == pytest.approx(0.5) and np.allclose(shares, 0.1)
    # all one class: one class covered
    covered, _, shares = evaluate.prior_quality(model, StubClassifier([one_hot(3)]), n=100)
    assert covered == 1 and shares[3] == 1.0


def test_reconstructions_and_hires_agreement():
    model = CPPNVAE()
    images = np.zeros((20, 26, 26, 1), np.float32)
    labels = np.array([3] * 15 + [4] * 5)
    assert evaluate.reconstructions_kept(model, StubClassifier([one_hot(3)]), images, labels) == 0.75
    assert evaluate.hires_agreement(model, StubClassifier([one_hot(7)]), n=3, size=64) == 1.0


def test_report_marks_missed_targets():
    figures = dict(covered_classes=9, confident=0.9, reconstructions_kept=0.95, hires_agreement=0.5,
                   class_shares=np.full(10, 0.1))
    table = evaluate.report(figures, 0.98, 1000, 500, 100, 1080)
    assert "| classes holding ≥ 4 % of 1000 prior samples | 9 / 10 | 10 | **no** |" in table
    assert "| prior samples classified with confidence ≥ 0.8 | 90.0% | ≥ 85 % | yes |" in table
    assert "| 1080×1080 render agrees with 26×26 (100 samples) | 50.0% | ≥ 95 % | **no** |" in table


@pytest.mark.skipif(not os.path.isdir(SHARED_MNIST), reason="../shared/mnist is not beside the checkout")
def test_shipped_classifier_knows_held_out_digits():
    import keras

    classifier = keras.saving.load_model(evaluate.CLASSIFIER_PATH)
    heldout = read_data_sets(SHARED_MNIST, "train5k")
    assert evaluate.accuracy(classifier, heldout.center_crops(), heldout.labels) > 0.97


def test_cli_prints_the_table(tmp_path, capsys):
    write_split(tmp_path / "digits", "train5k", *digit_like(30))
    CPPNVAE().save_model(str(tmp_path / "save"), 1)
    args = [str(tmp_path / "save"), "--data-dir", str(tmp_path / "digits"), "--samples", "40",
            "--reconstructions", "10", "--hires", "2", "--hires-size", "48"]
    assert evaluate.main(args) == 0
    out = capsys.readouterr().out
    assert "| held-out reconstructions keeping their label (10) |" in out and "48×48 render agrees" in out
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main([str(tmp_path / "nothing"), "--data-dir", str(tmp_path / "digits")])
    assert exit_info.value.code == 1 and "no trained model" in capsys.readouterr().err
