"""Training images: upstream's IDX reader and `DataSet`, a `tf.data` pipeline, tfds loading.

Images are float32 in [0, 1], shape [N, height, width, c_dim]; for MNIST
28×28×1 with 1 = ink. Training sees random crops of the model's size (26×26
digits: row and column offsets 0, 1 or 2, as upstream's `distort_batch`
did; 30×30 of CIFAR-10's 32×32, with random horizontal flips). Image folders
are read by `image_folder.py`.
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
# tensorflow-datasets names → whether 1 means ink (saved inverted, dark on white) and the default split.
TFDS_DATASETS = {
    "mnist": dict(ink=True, split="train"),
    "fashion_mnist": dict(ink=True, split="train"),
    "cifar10": dict(ink=False, split="train+test"),  # the colour post trained on one class of both
}
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
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

    def tf_dataset(self, batch_size, shuffle=True, seed=None, with_labels=False):
        """A `tf.data` pipeline for `fit()`: reshuffled each epoch, cropped (and flipped), whole batches only."""
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
        crop = [self.crop_size, self.crop_size, self._images.shape[-1]]

        def random_crop(image, *label):
            image = tf.image.random_crop(image, crop, seed=seed)
            if self.flip:
                image = tf.image.random_flip_left_right(image, seed=seed)
            return (image, *label) if label else image

        ds = ds.map(random_crop, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

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


# --------------------------------------------------------------------------- tensorflow-datasets


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
        from image_folder import read_image_folder

        if not data_dir:
            raise DataError("--dataset folder reads your images from --data-dir DIR (PNG or JPEG, "
                            "optionally one subfolder per class)")
        data = read_image_folder(data_dir, c_dim=c_dim, resize=resize, seed=seed, crop_size=crop_size,
                                 flip=bool(flip))
    elif data_dir:
        data = read_data_sets(data_dir, split or "train", seed=seed, crop_size=crop_size, flip=bool(flip))
    else:
        data = load_tfds(dataset, split, seed=seed, crop_size=crop_size, flip=flip)
    if c_dim is not None and data.images.shape[-1] != c_dim:
        raise DataError(f"{dataset} images have {data.images.shape[-1]} channel(s) but the model draws "
                        f"{c_dim} (c_dim {c_dim}); {'grey' if c_dim == 1 else 'colour'} training needs "
                        f"{'grey' if c_dim == 1 else 'colour'} images")
    return data.only_class(class_name) if class_name is not None else data
