"""MNIST-style digits: upstream's IDX reader and `DataSet`, a `tf.data` pipeline, tfds loading.

Images are float32 in [0, 1], shape [N, 28, 28, 1], 1 = ink. Training sees
random 26×26 crops (row and column offsets 0, 1 or 2), as upstream's
`distort_batch` did.
"""

import gzip
import os
import socket
import struct
import zlib

import numpy as np

IMAGE_SIZE = 28
CROP_SIZE = 26
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
TFDS_DATASETS = ("mnist", "fashion_mnist")
# Where tensorflow-datasets downloads MNIST-like sets from.
DOWNLOAD_HOST = ("storage.googleapis.com", 443)


class DataError(Exception):
    """Data missing or malformed; the message names the file and what was expected."""


# --------------------------------------------------------------------------- IDX files


def read_idx(path, magic):
    """Read one IDX file (gzip or plain) → uint8 array, checking magic number and size."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except OSError as error:
        raise DataError(f"{path}: cannot read it ({error}); is it a whole, gzipped IDX file?") from None
    except (EOFError, zlib.error) as error:
        raise DataError(f"{path}: the gzip data is truncated or corrupt ({error}); download the file again") from None
    n_dims = 3 if magic == IMAGE_MAGIC else 1
    header_size = 4 * (1 + n_dims)
    if len(raw) < header_size:
        raise DataError(f"{path}: {len(raw)} bytes is too short for an IDX header ({header_size} bytes expected)")
    found, *dims = struct.unpack(f">{1 + n_dims}I", raw[:header_size])
    if found != magic:
        kind = "images" if magic == IMAGE_MAGIC else "labels"
        raise DataError(f"{path}: magic number {found}, expected {magic} for MNIST {kind} (IDX format)")
    expected = header_size + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(
            f"{path}: {len(raw)} bytes, expected {expected} for {' × '.join(map(str, dims))} values; "
            f"the file is truncated or damaged"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(dims)


def _find_split_file(train_dir, split, kind):
    stem = f"{split}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
    for name in (stem + ".gz", stem):
        path = os.path.join(train_dir, name)
        if os.path.exists(path):
            return path
    present = sorted(
        {name.split("-images-")[0] for name in os.listdir(train_dir) if "-images-idx3-ubyte" in name}
    )
    hint = f"splits found there: {', '.join(present)}; pick one with --split" if present else "no IDX image files are there"
    raise DataError(f"{os.path.join(train_dir, stem)}.gz not found ({hint})")


def read_data_sets(train_dir="MNIST_data", split="train", seed=None):
    """Read `<split>-images-idx3-ubyte.gz` and its labels from an IDX folder → `DataSet`.

    Upstream trained on the 60k `train` split; `../shared/mnist` offers `t10k`
    and `train5k`. Images must be 28×28.
    """
    if not os.path.isdir(train_dir):
        raise DataError(
            f"data directory {train_dir!r} does not exist; pass --data-dir with a folder of "
            f"MNIST IDX files (e.g. ../shared/mnist)"
        )
    images_path = _find_split_file(train_dir, split, "images")
    labels_path = _find_split_file(train_dir, split, "labels")
    images = read_idx(images_path, IMAGE_MAGIC)
    labels = read_idx(labels_path, LABEL_MAGIC)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(
            f"{images_path}: images are {images.shape[1]}×{images.shape[2]}, expected "
            f"{IMAGE_SIZE}×{IMAGE_SIZE} MNIST digits"
        )
    if len(labels) != len(images):
        raise DataError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path}")
    return DataSet(images, labels, seed=seed)


# --------------------------------------------------------------------------- DataSet


class DataSet:
    """Upstream's in-memory data set: shuffled batches of randomly cropped digits."""

    def __init__(self, images, labels=None, seed=None):
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., None]
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / 255.0
        self._images = images.astype(np.float32)
        self._labels = None if labels is None else np.asarray(labels).astype(np.int64)
        self._rng = np.random.default_rng(seed)
        self._index_in_epoch = 0
        self.epochs_completed = 0
        self.shuffle_data()

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return len(self._images)

    def shuffle_data(self):
        """Reorder the examples at random (images and labels together)."""
        order = self._rng.permutation(self.num_examples)
        self._images = self._images[order]
        if self._labels is not None:
            self._labels = self._labels[order]

    def next_batch(self, batch_size, with_label=False):
        """The next `batch_size` examples as random 26×26 crops (and labels); reshuffles per epoch."""
        if not 1 <= batch_size <= self.num_examples:
            raise ValueError(f"batch_size must be between 1 and {self.num_examples}, got {batch_size}")
        if self._index_in_epoch + batch_size > self.num_examples:
            self.epochs_completed += 1
            self.shuffle_data()
            self._index_in_epoch = 0
        batch = slice(self._index_in_epoch, self._index_in_epoch + batch_size)
        self._index_in_epoch += batch_size
        images = self.distort_batch(self._images[batch])
        if with_label:
            return images, self._labels[batch]
        return images

    def distort_batch(self, batch):
        """A random 26×26 crop of each 28×28 image: four-plus times more variety."""
        batch = np.asarray(batch)
        margin = batch.shape[1] - CROP_SIZE
        offsets = self._rng.integers(0, margin + 1, size=(len(batch), 2))
        return np.stack(
            [image[r : r + CROP_SIZE, c : c + CROP_SIZE] for image, (r, c) in zip(batch, offsets)]
        )

    @staticmethod
    def show_image(image):
        """Show one digit with matplotlib, ink dark as on paper."""
        from render import show_image

        show_image(image)

    def tf_dataset(self, batch_size, shuffle=True, seed=None, with_labels=False):
        """A `tf.data` pipeline for `fit()`: reshuffled each epoch, cropped, whole batches only."""
        import tensorflow as tf

        if not 1 <= batch_size <= self.num_examples:
            raise ValueError(
                f"batch_size {batch_size} does not fit a data set of {self.num_examples} images; "
                f"use a batch size between 1 and {self.num_examples}"
            )
        if with_labels and self._labels is None:
            raise ValueError("this data set has no labels")
        ds = tf.data.Dataset.from_tensor_slices((self._images, self._labels) if with_labels else self._images)
        if shuffle:
            ds = ds.shuffle(self.num_examples, seed=seed, reshuffle_each_iteration=True)
        crop = [CROP_SIZE, CROP_SIZE, self._images.shape[-1]]

        def random_crop(image, *label):
            image = tf.image.random_crop(image, crop, seed=seed)
            return (image, *label) if label else image

        ds = ds.map(random_crop, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

    def center_crops(self):
        """Every image cut to its central 26×26, the size the model draws."""
        margin = (self._images.shape[1] - CROP_SIZE) // 2
        return self._images[:, margin : margin + CROP_SIZE, margin : margin + CROP_SIZE]


# --------------------------------------------------------------------------- tensorflow-datasets


def network_available(address=DOWNLOAD_HOST, timeout=3.0):
    """Whether the tfds download host answers within `timeout` seconds."""
    try:
        socket.create_connection(address, timeout=timeout).close()
        return True
    except OSError:
        return False


def load_tfds(name="mnist", split="train", seed=None):
    """Load MNIST or Fashion-MNIST through tensorflow-datasets → `DataSet`.

    Uses the local tfds copy if there is one; downloads only when the network
    answers, and otherwise fails at once (tfds alone retries for minutes).
    """
    if name not in TFDS_DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(TFDS_DATASETS)}")
    import tensorflow_datasets as tfds

    tfds_split = {"t10k": "test"}.get(split, split)
    load = dict(split=tfds_split, as_supervised=True)
    try:
        try:
            ds = tfds.load(name, download=False, **load)
        except AssertionError:
            if not network_available():
                raise DataError(
                    f"{name} is not in the tensorflow-datasets cache and the network is unreachable; "
                    f"pass --data-dir with a folder of IDX files instead (e.g. --data-dir ../shared/mnist "
                    f"--split t10k), or run once online to download it"
                ) from None
            ds = tfds.load(name, download=True, **load)
    except ValueError as error:
        raise DataError(f"{name}: {error}; tfds splits are train and test (t10k)") from None
    # Ordinary batches, concatenated: batch_size=-1 aborts TensorFlow on tfds' mock data.
    batches = list(tfds.as_numpy(ds.batch(4096)))
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    return DataSet(images, labels, seed=seed)


def load_dataset(dataset="mnist", data_dir=None, split="train", seed=None):
    """The training digits: an IDX folder when `data_dir` is given, else tensorflow-datasets."""
    if data_dir:
        return read_data_sets(data_dir, split, seed=seed)
    return load_tfds(dataset, split, seed=seed)
