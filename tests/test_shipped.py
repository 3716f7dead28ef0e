"""The shipped models: save/ draws digits the project's classifier recognises; models/* load offline and draw."""

import os

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
import latent_prior
from evaluate import CLASSIFIER_PATH, predict, prior_samples, spread
from run_folder import load_trained, training_images
from sampler import Sampler, main

SHIPPED = os.path.join(ROOT, "save")
SYSTEMS = {"frog": ("cppnvae", 3), "resnet": ("resnet", 1), "wgan-gp": ("wgan-gp", 1)}  # models/<name>
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


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_each_shipped_system_renders_varied_pictures_that_are_not_flat(name, tmp_path, monkeypatch):
    """The README's command for models/<name>: four 64×64 samples, each with a picture in it, none alike."""
    folder = os.path.join(ROOT, "models", name)
    system, channels = SYSTEMS[name]
    model, config, epoch = load_trained(folder)
    assert config["system"] == system and epoch >= 1
    assert model.nonfinite_weights() == []
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "--model-dir", folder, "--n", "4", "--size", "64", "--seed", "1"]) == 0
    pictures = np.stack([np.asarray(Image.open(tmp_path / f"sample-{i}.png"), dtype=np.float32) for i in range(4)])
    assert pictures.shape == (4, 64, 64) + ((3,) if channels == 3 else ())
    assert all(p.std() > 8 for p in pictures)  # not one flat colour (nor a blank page)
    assert min(np.abs(a - b).mean() for i, a in enumerate(pictures) for b in pictures[i + 1:]) > 2  # not one picture


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_each_shipped_system_samples_spread_like_its_training_images(name):
    """Prior samples at the training size are not collapsed: their spread is a real share of the data's."""
    folder = os.path.join(ROOT, "models", name)
    model, config, _ = load_trained(folder)
    real = training_images(config, folder, model).center_crops()[:64]
    _, images = prior_samples(model, 64, 0)
    assert images.shape == real.shape and np.isfinite(images).all()
    assert spread(images) / spread(real) > 0.3  # a collapsed model gives ≈ 0
