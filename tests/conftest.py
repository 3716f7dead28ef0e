"""Shared fixtures: IDX folders written by the tests, and quiet TensorFlow."""

import gzip
import os
import struct
import sys

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SHARED_MNIST = os.path.join(ROOT, "..", "shared", "mnist")


def write_idx(path, array, magic):
    """Write `array` (uint8) as an IDX file, gzipped when the name ends in .gz."""
    array = np.asarray(array, dtype=np.uint8)
    raw = struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(raw)


def digit_like(n, seed=0):
    """n 28×28 uint8 images of random thick strokes and their labels 0..9."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for image in images:
        r0, c0 = rng.integers(6, 22, size=2)
        r1, c1 = rng.integers(6, 22, size=2)
        for t in np.linspace(0, 1, 30):
            r, c = int(r0 + t * (r1 - r0)), int(c0 + t * (c1 - c0))
            image[r - 2 : r + 2, c - 2 : c + 2] = 255
    return images, np.arange(n) % 10


def write_split(folder, split, images, labels):
    os.makedirs(folder, exist_ok=True)
    write_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"), images, 2051)
    write_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"), labels, 2049)


@pytest.fixture
def idx_dir(tmp_path):
    """An upstream-style IDX folder with a 60-image `train` split."""
    folder = tmp_path / "digits"
    write_split(folder, "train", *digit_like(60))
    return str(folder)


def write_pictures(folder, n, size=(34, 34), colour=True, seed=0):
    """n smooth random pictures as PNG files in `folder` → their float arrays."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]] / max(size)
    pictures = []
    for i in range(n):
        a, b, c = rng.uniform(1, 6, size=3)
        channels = [0.5 + 0.5 * np.sin(a * xs + k + b * ys * c) for k in range(3 if colour else 1)]
        pixels = (np.stack(channels, axis=-1) * 255).astype(np.uint8)
        Image.fromarray(pixels if colour else pixels[..., 0]).save(os.path.join(folder, f"p{i}.png"))
        pictures.append(pixels)
    return pictures
