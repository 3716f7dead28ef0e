"""Rendering: a CPPN's images at any size in bounded memory, and PNG / GIF / MP4 files.

Images are floats in [0, 1], [height, width, c_dim], 1 = ink. Files show
them as upstream did, inverted: `(1 - image) * 255`, dark ink on white.
Every file is written under a temporary name and renamed when complete, so
a failed or interrupted write never leaves a broken file under the name asked for.
"""

import contextlib
import os
import tempfile

import numpy as np

from ops import coordinates

# Memory a render may use for the generator's activations, by default (MB).
# It sets how many pixels go through the network per call: at the MNIST
# generator's 128 units, 256 MB is 131,072 pixels, a good size on CPU and GPU.
RENDER_MEMORY_MB = 256
# Activation arrays of one call alive at once (a layer's input, its matmul, its activation, a spare).
LIVE_ACTIVATIONS = 4


def check_z(z, z_dim):
    """z as a float32 [batch, z_dim] array (a single vector is a batch of one), or a clear error."""
    z = np.asarray(z, dtype=np.float32)
    if z.ndim == 1:
        z = z[None, :]
    if z.ndim != 2 or z.shape[1] != z_dim:
        raise ValueError(f"z must have shape [batch, {z_dim}] or [{z_dim}], got {z.shape}")
    return z


def check_size(**sizes):
    """Each named size as a positive int, or a clear error naming it."""
    checked = []
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or value != int(value) or value < 1:
            raise ValueError(f"{name} must be a positive whole number of pixels, got {value!r}")
        checked.append(int(value))
    return checked


def chunk_pixels(net_size, memory_mb=None):
    """Pixels per generator call so that its activations fit in `memory_mb` (default RENDER_MEMORY_MB)."""
    memory_mb = RENDER_MEMORY_MB if memory_mb is None else memory_mb
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, (int, float, np.integer, np.floating)) or memory_mb <= 0:
        raise ValueError(f"memory_mb must be a positive number of megabytes, got {memory_mb!r}")
    return max(1, int(memory_mb * 2**20) // (LIVE_ACTIVATIONS * 4 * net_size))


def _bands(generator, z, x_dim, y_dim, scale, memory_mb):
    """Yield (rows, [batch, len(rows), x_dim, c_dim] floats) for checked z and sizes.

    Every band goes through one compiled function (no retracing for a new
    size or batch), and at most `memory_mb` of activations exist at once.
    """
    batch = z.shape[0]
    rows = max(1, chunk_pixels(generator.net_size, memory_mb) // (batch * x_dim))
    for top in range(0, y_dim, rows):
        band = slice(top, min(top + rows, y_dim))
        pixels = generator.draw(z, coordinates(x_dim, y_dim, scale, rows=band), np.float32(scale))
        yield band, pixels.numpy().reshape(batch, -1, x_dim, generator.c_dim)


def _assemble(generator, z, x_dim, y_dim, scale, memory_mb, dtype, convert):
    """[batch, y_dim, x_dim, c_dim] of `dtype`, filled band by band with `convert(floats)`."""
    z = check_z(z, generator.z_dim)
    x_dim, y_dim = check_size(x_dim=x_dim, y_dim=y_dim)
    images = np.empty((z.shape[0], y_dim, x_dim, generator.c_dim), dtype=dtype)
    for band, floats in _bands(generator, z, x_dim, y_dim, scale, memory_mb):
        images[:, band] = convert(floats)
    return images


def render(generator, z, x_dim, y_dim, scale, memory_mb=None):
    """`generator`'s images for each z → [batch, y_dim, x_dim, c_dim] float32 in [0, 1].

    Drawn in bands of rows holding at most `memory_mb` of activations, so any
    resolution renders in bounded memory.
    """
    return _assemble(generator, z, x_dim, y_dim, scale, memory_mb, np.float32, lambda floats: floats)


def render_pixels(generator, z, x_dim, y_dim, scale, memory_mb=None, invert=True):
    """Like `render`, but file pixels: [batch, y_dim, x_dim(, 3)] uint8, as saved (inverted if `invert`).

    Each band is converted as it arrives, so a 16384×16384 still needs its
    uint8 pixels (256 MB grey) and one band of floats, not 1 GB of floats.
    """
    pixels = _assemble(generator, z, x_dim, y_dim, scale, memory_mb, np.uint8,
                       lambda floats: _file_pixels(floats, invert))
    return pixels.reshape(pixels.shape[:3]) if generator.c_dim == 1 else pixels  # a view, not a copy


def tile(images, columns):
    """[n, h, w, c] images → one [rows·h, columns·w, c] image, rows filled left to right, empty cells blank."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.zeros((rows * columns, h, w, c), dtype=np.float32)
    grid[:n] = images
    return grid.reshape(rows, columns, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, columns * w, c)


def show_image(image, ink=True):
    """Show an image with matplotlib: monochrome ink dark (`ink`) or light as grey, nearest pixels, no axes."""
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    plt.figure()
    if image.ndim == 2 or image.shape[-1] == 1:
        plt.imshow(image.reshape(image.shape[:2]), cmap="Greys" if ink else "gray", interpolation="nearest",
                   vmin=0.0, vmax=1.0)
    else:
        plt.imshow(np.clip(image, 0.0, 1.0), interpolation="nearest")
    plt.axis("off")
    plt.show()


# --------------------------------------------------------------------------- files


def to_uint8(image, invert=True):
    """An image → [h, w] or [h, w, 3] uint8 pixels, inverted as upstream saved digits.

    Floats are images in [0, 1] and become `(1 - image) · 255` (MNIST ink:
    dark on white), or `image · 255` with `invert=False` (colour pictures,
    your own photos); uint8 arrays are pixels already and pass through.
    """
    image = np.asarray(image)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(f"expected an image of shape [height, width, 1 or 3], got {image.shape}")
    if image.dtype != np.uint8:
        image = _file_pixels(image, invert)
    return image[..., 0] if image.shape[-1] == 1 else image


def _file_pixels(floats, invert=True):
    """Floats in [0, 1] → uint8, truncated: `(1 - x) · 255` for ink as upstream saved it, else `x · 255`."""
    floats = np.clip(floats.astype(np.float32, copy=False), 0.0, 1.0)
    return (((1.0 - floats) if invert else floats) * 255.0).astype(np.uint8)


def check_writable(path):
    """The folder `path` goes in, or a clear error: call it before a long render, not after."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write {path}: folder {folder} is not writable")
    return folder


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds."""
    folder = check_writable(path)
    handle, tmp = tempfile.mkstemp(prefix=".partial-", suffix=os.path.splitext(path)[1], dir=folder)
    os.close(handle)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from other users
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_png(image, path, size=None, invert=True):
    """Save one image as PNG (floats inverted if `invert`); `size=(width, height)` resizes it first."""
    from PIL import Image

    picture = Image.fromarray(to_uint8(image, invert))
    if size is not None:
        picture = picture.resize(tuple(int(s) for s in size))
    with atomic_output(path) as tmp:
        picture.save(tmp, format="PNG")


def write_gif(frames, path, durations, loop=0, invert=True):
    """Save frames as an animated GIF; `durations` in seconds, one per frame or one for all.

    Pillow stores a frame identical to the one before it as a longer showing
    of that frame (durations added), so such a GIF has fewer frames but the same timing.
    """
    import imageio.v3 as iio

    frames = [to_uint8(frame, invert) for frame in frames]
    durations = np.broadcast_to(np.asarray(durations, dtype=float), (len(frames),))
    with atomic_output(path) as tmp:
        iio.imwrite(tmp, frames, extension=".gif", duration=[1000.0 * d for d in durations], loop=loop)


def write_mp4(frames, path, fps=24, invert=True):
    """Save frames as an H.264 MP4 (through imageio-ffmpeg); each side must be even."""
    import imageio.v2 as imageio

    with atomic_output(path) as tmp:
        with imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=2,
                                pixelformat="yuv420p") as writer:
            for frame in frames:
                pixels = to_uint8(frame, invert)
                if pixels.shape[0] % 2 or pixels.shape[1] % 2:
                    raise ValueError(f"MP4 (H.264) needs even width and height, got {pixels.shape[1]}×{pixels.shape[0]}")
                writer.append_data(pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=2))
