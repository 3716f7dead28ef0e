"""The model shipped in save/: it loads offline, and draws digits the project's classifier recognises."""

import os

import keras
import numpy as np
from PIL import Image

from conftest import ROOT
from evaluate import CLASSIFIER_PATH
from run_folder import load_trained
from sampler import main

SHIPPED = os.path.join(ROOT, "save")
SEED, DIGIT = 2, 2  # the first prior sample of seed 2 is a 2 (confidence 0.9996 at export)


def test_shipped_model_draws_a_digit_the_classifier_recognises():
    model, config, epoch = load_trained(SHIPPED)
    assert epoch == 31
    assert config["data"]["split"] == "t10k"  # trained on t10k; train5k stays held out
    classifier = keras.saving.load_model(CLASSIFIER_PATH)
    z = np.random.default_rng(SEED).normal(size=(1, model.z_dim))
    probabilities = classifier.predict(model.generate(z, 26, 26, scale=8.0), verbose=0)[0]
    assert probabilities.max() >= 0.9 and int(np.argmax(probabilities)) == DIGIT


def test_readme_first_command_renders_from_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "--model-dir", SHIPPED, "--n", "2", "--size", "96", "--seed", "1"]) == 0
    for i in range(2):
        pixels = np.asarray(Image.open(tmp_path / f"sample-{i}.png"))
        assert pixels.shape == (96, 96) and pixels.min() < 64 and pixels.max() >= 250  # dark ink on white paper
