"""datasets: tensorflow-datasets (mock data, offline failure) and the choice of source."""

import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

import datasets
from datasets import load_dataset, load_tfds
from mnist_data import DataError


def test_tfds_mock_mnist_and_fashion_mnist():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6):
        for name in ("mnist", "fashion_mnist"):
            data = load_tfds(name, split="t10k")
            assert data.num_examples == 6 and data.images.shape == (6, 28, 28, 1)
            assert data.images.dtype == np.float32 and data.images.max() <= 1.0
            assert data.labels.shape == (6,)

def test_offline_tfds_fails_at_once_naming_data_dir(monkeypatch, tmp_path):
    import tensorflow_datasets as tfds

    monkeypatch.setattr(datasets, "network_available", lambda *a, **k: False)
    # an empty tfds cache, whatever the machine has downloaded before
    real_load = tfds.load
    monkeypatch.setattr(tfds, "load", lambda *a, **k: real_load(*a, data_dir=str(tmp_path), **k))
    start = time.monotonic()
    with pytest.raises(DataError, match="network is unreachable; pass --data-dir"):
        load_dataset("mnist")
    assert time.monotonic() - start < 10

def test_network_probe_answers_quickly_for_an_unroutable_host():
    start = time.monotonic()
    assert datasets.network_available(("192.0.2.1", 9), timeout=0.5) is False  # TEST-NET-1
    assert time.monotonic() - start < 5

def test_unknown_dataset_name():
    with pytest.raises(DataError, match="unknown dataset 'cifar'"):
        load_tfds("cifar")

def test_cifar10_one_class_through_tfds_with_crops_and_flips():
    with tfds.testing.mock_data(num_examples=60):
        data = load_dataset("cifar10", class_name="frog", crop_size=30, seed=0)
        with pytest.raises(DataError, match="no class 'frogs'.*airplane.*frog"):
            load_dataset("cifar10", class_name="frogs", crop_size=30)
    frog = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"].index("frog")
    assert data.num_examples > 0 and set(data.labels.tolist()) == {frog}
    assert data.images.shape[1:] == (32, 32, 3) and data.flip and not data.ink
    batch = data.next_batch(data.num_examples)
    assert batch.shape == (data.num_examples, 30, 30, 3)
    first = next(iter(data.tf_dataset(data.num_examples, seed=1)))
    assert first.shape == (data.num_examples, 30, 30, 3)
