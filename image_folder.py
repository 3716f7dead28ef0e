"""Your own pictures as training data: a folder of PNG/JPEG files, optionally one subfolder per class.

    my_pictures/                 or      my_pictures/cats/a.png
        a.png  b.jpg  ...                my_pictures/dogs/b.jpg

or, with a split, subfolders per split as CIFAR-10's: cifar10/train/frog/...,
cifar10/test/frog/... (`split="train+test"` reads both).

Images become floats in [0, 1] (1 = white, so they are saved as they are,
not inverted like MNIST ink), grey or colour. Without `resize` they must all
have one size; with `resize=N` each is cut to its central square and scaled
to N×N. Unreadable files are skipped with one warning that counts them.
"""

import os
import warnings

import numpy as np

from mnist_data import CROP_SIZE, DataError, DataSet

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def _image_files(folder):
    return sorted(name for name in os.listdir(folder)
                  if name.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(folder, name)))


def find_images(data_dir):
    """→ (paths, labels, class_names): class subfolders if there are any, else the folder's own images."""
    if not os.path.isdir(data_dir):
        raise DataError(f"image folder {data_dir!r} does not exist; pass --data-dir with a folder of PNG/JPEG files")
    classes = sorted(name for name in os.listdir(data_dir)
                     if os.path.isdir(os.path.join(data_dir, name)) and _image_files(os.path.join(data_dir, name)))
    own = _image_files(data_dir)
    if classes and own:
        raise DataError(f"{data_dir} holds both images ({own[0]}, ...) and class subfolders ({', '.join(classes)}); "
                        f"move the loose images into a subfolder of their own")
    if not classes:
        name = os.path.basename(os.path.normpath(data_dir)) or "images"
        return [os.path.join(data_dir, f) for f in own], [0] * len(own), [name]
    paths, labels = [], []
    for label, name in enumerate(classes):
        files = _image_files(os.path.join(data_dir, name))
        paths += [os.path.join(data_dir, name, f) for f in files]
        labels += [label] * len(files)
    return paths, labels, classes


def decode(path):
    """One file → float32 [h, w, 1 or 3] in [0, 1]; transparency is laid over white."""
    import imageio.v3 as iio

    with warnings.catch_warnings():  # Pillow's notes on palette transparency and the like
        warnings.simplefilter("ignore")
        pixels = np.asarray(iio.imread(path, index=0))
    if pixels.dtype.kind not in "uif" or pixels.ndim not in (2, 3) or pixels.size == 0:
        raise ValueError(f"not a picture ({pixels.dtype}, shape {pixels.shape})")
    top = float(np.iinfo(pixels.dtype).max) if pixels.dtype.kind in "ui" else 1.0
    image = pixels.astype(np.float32) / top
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] in (2, 4):  # with alpha
        alpha = image[..., -1:]
        image = image[..., :-1] * alpha + (1.0 - alpha)
    if image.shape[-1] not in (1, 3):
        raise ValueError(f"{image.shape[-1]} channels")
    return image


def square_resize(image, size):
    """The image's central square, scaled to size × size (Lanczos)."""
    from PIL import Image

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[top : top + side, left : left + side]
    channels = [Image.fromarray(square[..., c]).resize((size, size), Image.LANCZOS) for c in range(square.shape[-1])]
    return np.clip(np.stack([np.asarray(c) for c in channels], axis=-1), 0.0, 1.0)


def _describe(paths, limit=3):
    names = [os.path.basename(p) for p in paths[:limit]]
    return ", ".join(names) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def find_split_images(data_dir, split):
    """`find_images` over `data_dir/<part>` for each part of a split such as "train+test" (CIFAR-10's
    layout: data_dir/train/frog, data_dir/test/frog); labels follow the class names of all parts."""
    found = []
    for part in split.split("+"):
        folder = os.path.join(data_dir, part)
        if not os.path.isdir(folder):
            parts = sorted(p for p in os.listdir(data_dir) if os.path.isdir(os.path.join(data_dir, p)))
            raise DataError(f"no split {part!r} in {data_dir} (its subfolders: {', '.join(parts) or 'none'}); "
                            f"--split names subfolders of --data-dir, joined by +, e.g. train+test")
        found.append(find_images(folder))
    class_names = sorted({name for _, _, names in found for name in names})
    paths, labels = [], []
    for part_paths, part_labels, names in found:
        paths += part_paths
        labels += [class_names.index(names[label]) for label in part_labels]
    return paths, labels, class_names


def read_image_folder(data_dir, c_dim=None, resize=None, seed=None, crop_size=CROP_SIZE, flip=False, split=None):
    """The pictures in `data_dir` → `DataSet` (labels: class subfolder, or 0 for all).

    `split` reads `data_dir/<part>` for each part of e.g. "train+test" instead.
    `c_dim` 1 trains in grey (colour pictures become luminance), 3 in colour
    (grey pictures are an error), None: as the pictures are.
    """
    paths, labels, class_names = find_split_images(data_dir, split) if split else find_images(data_dir)
    if not paths:
        raise DataError(f"{data_dir} holds no images ({', '.join(IMAGE_EXTENSIONS)}), neither directly nor in "
                        f"class subfolders")
    images, kept, kept_paths, unreadable = [], [], [], []
    for path, label in zip(paths, labels):
        try:
            image = decode(path)
        except Exception:  # imageio raises many types for broken files
            unreadable.append(path)
            continue
        images.append(square_resize(image, resize) if resize else image)
        kept.append(label)
        kept_paths.append(path)
    if unreadable:
        warnings.warn(f"skipped {len(unreadable)} of {len(paths)} image files in {data_dir} that could not be "
                      f"read: {_describe(unreadable)}", stacklevel=2)
    if not images:
        raise DataError(f"none of the {len(paths)} image files in {data_dir} could be read")

    grey = [p for p, image in zip(kept_paths, images) if image.shape[-1] == 1]
    if c_dim is None:
        c_dim = 1 if len(grey) == len(images) else 3
    if c_dim == 3 and grey:
        raise DataError(f"{len(grey)} grey images in {data_dir} ({_describe(grey)}) for a colour model; "
                        f"convert them to RGB, or train in grey with --c_dim 1")
    if c_dim == 1:
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        images = [image if image.shape[-1] == 1 else image @ weights[:, None] for image in images]

    sizes = {}
    for path, image in zip(kept_paths, images):
        sizes.setdefault(image.shape[:2], []).append(path)
    if len(sizes) > 1:
        listing = "; ".join(f"{w}×{h}: {len(p)} ({_describe(p, 2)})" for (h, w), p in sorted(sizes.items()))
        raise DataError(f"images in {data_dir} have different sizes ({listing}); pass --resize N to cut each to "
                        f"its central square and scale it to N×N")
    return DataSet(np.stack(images), np.array(kept), seed=seed, crop_size=crop_size, flip=flip,
                   class_names=class_names, ink=False)
