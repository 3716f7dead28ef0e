"""Upstream's MNIST reader and `DataSet`: IDX files in, shuffled batches of random crops out.

Images are float32 in [0, 1], shape [N, height, width, c_dim]; for MNIST
28×28×1 with 1 = ink. Training sees random crops of the model's size (26×26
digits: row and column offsets 0, 1 or 2, as upstream's `distort_batch`
did; 30×30 of CIFAR-10's 32×32, with random horizontal flips). Every source
of images ends in a `DataSet`: IDX files here, tensorflow-datasets and the
choice of source in `datasets.py`, folders of pictures in `image_folder.py`.
"""

import gzip
import os
import struct
import zlib

import numpy as np

IMAGE_SIZE = 28
CROP_SIZE = 26
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049


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


def read_data_sets(train_dir="MNIST_data", split="train", seed=None, crop_size=CROP_SIZE, flip=False):
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
    return DataSet(images, labels, seed=seed, crop_size=crop_size, flip=flip, class_names=[str(i) for i in range(10)])


# --------------------------------------------------------------------------- DataSet


class DataSet:
    """Upstream's in-memory data set: shuffled batches of randomly cropped (and flipped) images.

    `crop_size` is the side of the square training crops; `flip` adds random
    horizontal flips; `class_names` name the labels 0, 1, ...; `ink` says
    whether 1 means ink (digits, saved inverted) rather than light.
    """

    def __init__(self, images, labels=None, seed=None, crop_size=CROP_SIZE, flip=False, class_names=None, ink=True):
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., None]
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / 255.0
        self._images = images.astype(np.float32)
        self._labels = None if labels is None else np.asarray(labels).astype(np.int64)
        self.flip, self.class_names, self.ink = flip, class_names, ink
        self.set_crop_size(crop_size)
        self._rng = np.random.default_rng(seed)
        self._index_in_epoch = 0
        self.epochs_completed = 0
        self.shuffle_data()

    def set_crop_size(self, size):
        """Train on random size × size crops (the model's x_dim), or a clear error if the images are smaller."""
        height, width = self._images.shape[1:3]
        if min(height, width) < size:
            raise DataError(f"images of {width}×{height} are smaller than the {size}×{size} the model trains on; "
                            f"scale them up (folders: --resize {size + 2}) or train smaller (--x_dim)")
        self.crop_size = size

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
        """The next `batch_size` examples as random crops (and labels); reshuffles per epoch."""
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
        """A random crop of each image (26×26 of 28×28: four-plus times more variety), flipped at random if asked."""
        batch = np.asarray(batch)
        size = self.crop_size
        rows = self._rng.integers(0, batch.shape[1] - size + 1, size=len(batch))
        columns = self._rng.integers(0, batch.shape[2] - size + 1, size=len(batch))
        crops = np.stack([image[r : r + size, c : c + size] for image, r, c in zip(batch, rows, columns)])
        if self.flip:
            flipped = self._rng.random(len(batch)) < 0.5
            crops[flipped] = crops[flipped, :, ::-1]
        return crops

    def show_image(self, image):
        """Show one image with matplotlib, ink dark as on paper for digits."""
        from render import show_image

        show_image(image, self.ink)

    def tf_dataset(self, batch_size, seed=0, crop_size=None, with_labels=False, first_epoch=0, skip_batches=0):
        """An endless `tf.data` stream of whole batches for `fit()`, epoch after epoch from `first_epoch`.

        Each epoch's order, crops (and flips) are a function of (seed, epoch)
        alone, so a run resumed at any batch sees exactly the batches an
        uninterrupted run would: `skip_batches` drops the first batches of
        `first_epoch`. `crop_size` defaults to the data set's.
        """
        import tensorflow as tf

        n = self.num_examples
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size {batch_size} does not fit a data set of {n} images; "
                             f"use a batch size between 1 and {n}")
        if with_labels and self._labels is None:
            raise ValueError("this data set has no labels")
        size = self.crop_size if crop_size is None else crop_size
        used = n // batch_size * batch_size  # whole batches only, as upstream
        seed = tf.constant(seed, tf.int64)
        images = tf.constant(self._images)
        labels = tf.constant(self._labels if with_labels else np.zeros(n, np.int64))
        crop = [size, size, self._images.shape[-1]]

        def epoch(e):
            order = tf.argsort(tf.random.stateless_uniform([n], seed=tf.stack([seed, e])))[:used]
            keys = e * n + tf.range(used, dtype=tf.int64)
            return tf.data.Dataset.from_tensor_slices((order, keys))

        def example(index, key):
            image = tf.image.stateless_random_crop(tf.gather(images, index), crop, seed=tf.stack([seed, key]))
            if self.flip:
                image = tf.image.stateless_random_flip_left_right(image, seed=tf.stack([key, seed]))
            return (image, tf.gather(labels, index)) if with_labels else image

        ds = tf.data.Dataset.range(first_epoch, 2**62).flat_map(epoch).skip(skip_batches * batch_size)
        ds = ds.map(example, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

    def batches_per_epoch(self, batch_size):
        """Whole batches in one epoch."""
        return self.num_examples // batch_size

    def center_crops(self):
        """Every image cut to its central crop_size × crop_size, the size the model draws."""
        top = (self._images.shape[1] - self.crop_size) // 2
        left = (self._images.shape[2] - self.crop_size) // 2
        return self._images[:, top : top + self.crop_size, left : left + self.crop_size]

    def only_class(self, name):
        """The examples of one class, by name (e.g. "frog", or "3" for digits), as a new `DataSet`."""
        names = self.class_names or []
        if name not in names:
            raise DataError(f"no class {name!r} here; the classes are: {', '.join(names) or 'none (no labels)'}")
        keep = self._labels == names.index(name)
        return DataSet(self._images[keep], self._labels[keep], seed=int(self._rng.integers(2**31)),
                       crop_size=self.crop_size, flip=self.flip, class_names=names, ink=self.ink)
