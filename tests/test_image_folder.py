"""image_folder: your own pictures as training data, and every way a folder can be wrong."""

import os

import numpy as np
import pytest
from PIL import Image

from conftest import write_pictures
from datasets import load_dataset
from image_folder import read_image_folder
from mnist_data import DataError


def test_folder_with_classes_corrupt_files_counted(tmp_path):
    write_pictures(tmp_path / "cats", 3)
    write_pictures(tmp_path / "dogs", 2, seed=1)
    (tmp_path / "dogs" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "dogs" / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.warns(UserWarning, match="skipped 2 of 7 image files .*broken.png"):
        data = read_image_folder(str(tmp_path), crop_size=30)
    assert data.images.shape == (5, 34, 34, 3) and data.class_names == ["cats", "dogs"]
    assert sorted(data.labels.tolist()) == [0, 0, 0, 1, 1] and not data.ink
    assert data.only_class("dogs").num_examples == 2
    with pytest.raises(DataError, match="no class 'birds' here; the classes are: cats, dogs"):
        load_dataset("folder", str(tmp_path), class_name="birds", crop_size=30)

def test_folder_pixels_are_read_as_they_are(tmp_path):
    pictures = write_pictures(tmp_path, 2)
    data = read_image_folder(str(tmp_path), crop_size=30)
    first = data.images[np.argmin([abs(img.mean() - pictures[0].mean() / 255) for img in data.images])]
    np.testing.assert_allclose(first, pictures[0] / 255.0, atol=1e-6)

@pytest.mark.parametrize(
    "setup,kwargs,message",
    [
        (lambda d: None, {}, "holds no images"),
        (lambda d: (d / "x.png").write_bytes(b"junk"), {}, "none of the 1 image files .* could be read"),
        (lambda d: (write_pictures(d, 2), write_pictures(d / "more", 1, size=(40, 36))), {}, "both images"),
        (lambda d: (write_pictures(d, 2), write_pictures(d, 1, size=(40, 36), seed=5) and
                    os.replace(d / "p0.png", d / "big.png")), {}, "different sizes .*--resize"),
        (lambda d: (write_pictures(d, 1), write_pictures(d / "g", 0), Image.fromarray(
            np.zeros((34, 34), np.uint8)).save(d / "grey.png")), {"c_dim": 3}, "1 grey images .*grey.png.*--c_dim 1"),
        (lambda d: write_pictures(d, 2, size=(20, 20)), {}, "smaller than the 30×30"),
    ],
)
def test_folder_errors_name_the_problem_and_the_fix(tmp_path, setup, kwargs, message):
    setup(tmp_path)
    with pytest.raises(DataError, match=message):
        read_image_folder(str(tmp_path), crop_size=30, **kwargs)

def test_split_subfolders_as_cifar10_lays_them_out(tmp_path):
    write_pictures(tmp_path / "train" / "frog", 3)
    write_pictures(tmp_path / "train" / "truck", 2, seed=1)
    write_pictures(tmp_path / "test" / "frog", 1, seed=2)
    both = read_image_folder(str(tmp_path), crop_size=30, split="train+test")
    assert both.class_names == ["frog", "truck"] and sorted(both.labels) == [0, 0, 0, 0, 1, 1]
    assert load_dataset("folder", str(tmp_path), "train+test", class_name="frog", crop_size=30).num_examples == 4
    assert read_image_folder(str(tmp_path), crop_size=30, split="test").num_examples == 1
    with pytest.raises(DataError, match="no split 'valid' in .*subfolders: test, train.*train\\+test"):
        read_image_folder(str(tmp_path), crop_size=30, split="valid")


def test_folder_resize_and_grey(tmp_path):
    write_pictures(tmp_path, 2, size=(40, 36))
    write_pictures(tmp_path / "x", 0)
    Image.fromarray(np.full((50, 64, 3), 200, np.uint8)).save(tmp_path / "wide.png")
    data = read_image_folder(str(tmp_path), resize=32, crop_size=30, c_dim=1)
    assert data.images.shape == (3, 32, 32, 1)
    assert np.any(np.isclose(data.images.reshape(3, -1).mean(axis=1), 200 / 255, atol=0.01))
