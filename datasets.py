"""Where training images come from: a name and a folder → a `DataSet`.

`load_dataset` picks the source: an IDX folder (mnist_data.py), a folder of
pictures (image_folder.py), or tensorflow-datasets (here). tfds downloads
only when the network answers; offline it fails at once with what to do.
"""

import socket

import numpy as np

from image_folder import read_image_folder
from mnist_data import CROP_SIZE, DataError, DataSet, read_data_sets

# tensorflow-datasets names → whether 1 means ink (saved inverted, dark on white) and the default split.
TFDS_DATASETS = {
    "mnist": dict(ink=True, split="train"),
    "fashion_mnist": dict(ink=True, split="train"),
    "cifar10": dict(ink=False, split="train+test"),  # the colour post trained on one class of both
}
DATASETS = (*TFDS_DATASETS, "folder")
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
# Where tensorflow-datasets downloads MNIST-like sets from.
DOWNLOAD_HOST = ("storage.googleapis.com", 443)


def network_available(address=DOWNLOAD_HOST, timeout=3.0):
    """Whether the tfds download host answers within `timeout` seconds."""
    try:
        socket.create_connection(address, timeout=timeout).close()
        return True
    except OSError:
        return False


def load_tfds(name="mnist", split=None, seed=None, crop_size=CROP_SIZE, flip=None):
    """Load MNIST, Fashion-MNIST or CIFAR-10 through tensorflow-datasets → `DataSet`.

    Uses the local tfds copy if there is one; downloads only when the network
    answers, and otherwise fails at once (tfds alone retries for minutes).
    `split` defaults to the dataset's (CIFAR-10: train+test); `flip`
    defaults to on for CIFAR-10's photos, off for digits.
    """
    if name not in TFDS_DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(TFDS_DATASETS)}")
    import tensorflow_datasets as tfds

    info = TFDS_DATASETS[name]
    tfds_split = {"t10k": "test"}.get(split, split) or info["split"]
    load = dict(split=tfds_split, as_supervised=True)
    try:
        try:
            ds = tfds.load(name, download=False, **load)
        except AssertionError:
            if not network_available():
                hint = ("pass --data-dir with a folder of IDX files instead (e.g. --data-dir ../shared/mnist "
                        "--split t10k), or run once online to download it")
                if not info["ink"]:
                    hint = "run once online to download it, or train on a folder of images (--dataset folder --data-dir DIR)"
                raise DataError(f"{name} is not in the tensorflow-datasets cache and the network is unreachable; {hint}") from None
            ds = tfds.load(name, download=True, **load)
    except ValueError as error:
        raise DataError(f"{name}: {error}; tfds splits are train and test (t10k), or train+test") from None
    # Ordinary batches, concatenated: batch_size=-1 aborts TensorFlow on tfds' mock data.
    batches = list(tfds.as_numpy(ds.batch(4096)))
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    # tfds learns CIFAR-10's names from the download itself (offline or mocked it has 0-9): use the known ones.
    names = CIFAR10_CLASSES if name == "cifar10" else tfds.builder(name).info.features["label"].names
    return DataSet(images, labels, seed=seed, crop_size=crop_size, flip=(not info["ink"]) if flip is None else flip,
                   class_names=names, ink=info["ink"])


def load_dataset(dataset="mnist", data_dir=None, split=None, seed=None, class_name=None, crop_size=CROP_SIZE,
                 flip=None, c_dim=None, resize=None):
    """The training images → `DataSet`.

    `dataset` "folder" reads the images in `data_dir` (see image_folder.py);
    otherwise an IDX folder when `data_dir` is given, else tensorflow-datasets.
    `class_name` keeps one class (e.g. "frog"); `c_dim` 1 or 3 asks for grey
    or colour (folders; None: as the images are); `resize` scales folder
    images to that side first.
    """
    if dataset == "folder":
        if not data_dir:
            raise DataError("--dataset folder reads your images from --data-dir DIR (PNG or JPEG, "
                            "optionally one subfolder per class)")
        data = read_image_folder(data_dir, c_dim=c_dim, resize=resize, seed=seed, crop_size=crop_size,
                                 flip=bool(flip), split=split)
    elif data_dir:
        data = read_data_sets(data_dir, split or "train", seed=seed, crop_size=crop_size, flip=bool(flip))
    else:
        data = load_tfds(dataset, split, seed=seed, crop_size=crop_size, flip=flip)
    if c_dim is not None and data.images.shape[-1] != c_dim:
        raise DataError(f"{dataset} images have {data.images.shape[-1]} channel(s) but the model draws "
                        f"{c_dim} (c_dim {c_dim}); {'grey' if c_dim == 1 else 'colour'} training needs "
                        f"{'grey' if c_dim == 1 else 'colour'} images")
    return data.only_class(class_name) if class_name is not None else data
