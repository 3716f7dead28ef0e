"""The model shipped in save/: it loads offline, and draws digits the project's classifier recognises."""

import os

import keras
import numpy as np
from PIL import Image

from conftest import ROOT
import latent_prior
from evaluate import CLASSIFIER_PATH, predict, prior_samples
from run_folder import load_trained
from sampler import Sampler, main

SHIPPED = os.path.join(ROOT, "save")
SEED, DIGIT = 2, 4  # the sampler's first z for seed 2 draws a 4 (confidence 0.99999 at export)


def test_shipped_model_draws_a_digit_the_classifier_recognises():
    model, config, epoch = load_trained(SHIPPED)
    assert epoch == 9
    assert config["data"]["split"] in (None, "train")  # all 60,000 train digits; t10k stays held out
    classifier = keras.saving.load_model(CLASSIFIER_PATH)
    z = Sampler(model_dir=SHIPPED, seed=SEED).generate_z()
    probabilities = classifier.predict(model.generate(z, 26, 26, scale=8.0), verbose=0)[0]
    assert probabilities.max() >= 0.9 and int(np.argmax(probabilities)) == DIGIT


def test_shipped_prior_draws_confident_digits_of_every_class_where_n01_does_not():
    model, _, _ = load_trained(SHIPPED)
    classifier = keras.saving.load_model(CLASSIFIER_PATH)
    prior = latent_prior.load(SHIPPED, model.z_dim)
    assert (prior.name, prior.components) == ("fitted", 20)
    shares = {}
    for p in (prior, latent_prior.StandardNormal(model.z_dim)):
        _, images = prior_samples(model, 300, 0, prior=p)
        probabilities = predict(classifier, images)
        assert np.bincount(probabilities.argmax(axis=1), minlength=10).min() >= 10  # every digit drawn
        shares[p.name] = np.mean(probabilities.max(axis=1) >= 0.8)
    assert shares["fitted"] >= 0.88 and shares["normal"] <= 0.82  # 94.7 % and 75.0 % at export


def test_readme_first_command_renders_from_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "--model-dir", SHIPPED, "--n", "2", "--size", "96", "--seed", "1"]) == 0
    for i in range(2):
        pixels = np.asarray(Image.open(tmp_path / f"sample-{i}.png"))
        assert pixels.shape == (96, 96) and pixels.min() < 64 and pixels.max() >= 250  # dark ink on white paper
