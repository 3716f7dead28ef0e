"""Rendering: a CPPN's images at any size in bounded memory, and PNG / GIF / MP4 files.

Three ways to draw (`method`): "dense" runs the network on every pixel;
"adaptive" only where the picture changes, within 1/255 of dense for
pictures as smooth as a trained model's; "auto" is adaptive that checks its
own work and renders dense where the picture is sharper than it can follow.

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


def _bands(generator, z, x_dim, y_dim, scale, memory_mb, start=0, stop=None):
    """Yield (rows, [batch, len(rows), x_dim, c_dim] floats) for checked z and sizes, rows `start` to `stop`.

    Every band goes through one compiled function (no retracing for a new
    size or batch), and at most `memory_mb` of activations exist at once.
    """
    batch = z.shape[0]
    stop = y_dim if stop is None else stop
    rows = max(1, chunk_pixels(generator.net_size, memory_mb) // (batch * x_dim))
    for top in range(start, stop, rows):
        band = slice(top, min(top + rows, stop))
        pixels = generator.draw(z, coordinates(x_dim, y_dim, scale, rows=band), np.float32(scale))
        yield band, pixels.numpy().reshape(batch, -1, x_dim, generator.c_dim)


# --------------------------------------------------------------------------- adaptive rendering
#
# A CPPN's picture is mostly smooth: flat background, flat ink, soft edges.
# The adaptive renderer samples it on a coarse lattice and refines a quadtree
# level by level. At level s a tile is s×s pixels with samples at its corners;
# refining it evaluates the s/2 lattice inside it (edge midpoints and centre)
# and compares those samples with the bilinear interpolation of the corners.
# A tile whose residual exceeds ADAPTIVE_TOLERANCE is rough, and every tile
# next to a rough one (8-neighbourhood, even one accepted at a coarser level)
# is refined too; the others are accepted and filled by bilinear interpolation
# of their s/2 lattice — four times finer than the samples that judged them.
# At level 2 every pixel of a refined tile is evaluated, so edges are exact.
# All points a level needs go through `generator.draw` in a few batched calls.
#
# What it cannot miss: check samples lie on a lattice of half a coarse tile,
# so any patch of ink containing a disc of radius (coarse tile / 2) / √2 —
# COARSE_SPAN / 2√2 ≈ 0.18 in coordinates — holds one, makes its tile rough,
# and is refined with its neighbours. Smaller specks, hair-thin lines and
# kinks sharper than the tolerance can fall between samples: random-weight
# art can draw them, a trained model at its scale cannot (its 26×26 training
# pixels are 0.64 apart). "auto" looks for them: it renders dense when
# neighbouring pixels it evaluated jump by more than AUTO_SHARPEST_STEP or a
# random probe among the filled pixels is off by more than PROBE_TOLERANCE.

METHODS = ("dense", "adaptive", "auto")
# Largest deviation from bilinear interpolation (of ink, in [0, 1]) a tile may
# show at its check samples and still be filled instead of refined.
ADAPTIVE_TOLERANCE = 0.5 / 255
# The coarse tile spans at most this much of the CPPN's coordinate space (x, y
# in [-scale, scale]); a trained model's 26×26 training grid at scale 8 has
# 0.64 between pixels, so even its thinnest stroke spans several check samples.
COARSE_SPAN = 0.5
# Coarse tiles are powers of two between these sides, in pixels.
MIN_TILE, MAX_TILE = 2, 64
# "auto": images smaller than this render dense (adaptive gains nothing there).
AUTO_MIN_PIXELS = 512 * 512
# "auto": one filled pixel in PROBE_EVERY is evaluated as well; a probe further
# than PROBE_TOLERANCE from its fill means detail finer than the lattice: dense.
PROBE_EVERY = 64
PROBE_TOLERANCE = 1.0 / 255
# "auto": a band where the network evaluated more than this share of the pixels
# gains nothing from adaptive rendering; the rest of that image renders dense.
AUTO_MAX_SHARE = 0.6
# "auto": ink changing by more than this between two neighbouring evaluated
# pixels is an edge sharper than the lattice can follow (random-weight art:
# hard edges, hair-thin lines, spikes); such an image renders dense. A trained
# digit at 1080×1080 changes by at most about 0.13 per pixel.
AUTO_SHARPEST_STEP = 0.25


def check_method(method):
    """`method` if it is one of METHODS, or a clear error."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def axis_positions(index, n, scale):
    """Positions of pixel indices `index` along an axis of `n` pixels: ops.coordinate_axis's formula, bit for bit.

    Indices beyond the image (≥ n) extend the same line; the adaptive
    lattice uses them as padding, they never reach the image.
    """
    index = np.asarray(index)
    if n == 1:
        return np.zeros(index.shape, dtype=np.float32)
    return (scale * (index.astype(np.float64) - (n - 1) / 2.0) / (n - 1) / 0.5).astype(np.float32)


def coarse_tile(x_dim, y_dim, scale):
    """Side of the adaptive renderer's coarse tiles: the largest power of two spanning ≤ COARSE_SPAN."""
    spacing = max((2.0 * abs(float(scale)) / (n - 1) for n in (x_dim, y_dim) if n > 1), default=0.0)
    tile_side = MAX_TILE
    while tile_side > MIN_TILE and tile_side * spacing > COARSE_SPAN:
        tile_side //= 2
    return tile_side


def _chunks_of(need, chunk):
    """Yield (rows, columns) of the True entries of the 2-D mask `need`, at most `chunk` at a time."""
    counts = np.cumsum(need.sum(axis=1))
    start_row, done = 0, 0
    while len(counts) and done < counts[-1]:
        end_row = max(int(np.searchsorted(counts, done + chunk, side="right")), start_row + 1)
        rows, columns = np.nonzero(need[start_row:end_row])
        for i in range(0, len(rows), chunk):
            yield rows[i:i + chunk] + start_row, columns[i:i + chunk]
        done = int(counts[end_row - 1])
        start_row = end_row


def _dilate(mask):
    """`mask` grown by one tile in all 8 directions."""
    grown = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), dtype=bool)
    for di in range(3):
        for dj in range(3):
            grown[di:di + mask.shape[0], dj:dj + mask.shape[1]] |= mask
    return grown[1:-1, 1:-1]


class _Window:
    """One band of one image, padded to whole coarse tiles: samples, what is known, and how to get more.

    `values` has a row and a column more than the tiles cover, for their far
    corners; rows and columns past the image get coordinates on the same line.
    """

    def __init__(self, generator, z, x_dim, y_dim, scale, first_row, rows, columns, chunk):
        self.generator, self.z, self.scale, self.chunk = generator, z, np.float32(scale), chunk
        self.values = np.empty((rows + 1, columns + 1, generator.c_dim), dtype=np.float32)
        self.known = np.zeros((rows + 1, columns + 1), dtype=bool)
        self.xs = axis_positions(np.arange(columns + 1), x_dim, scale)
        self.ys = axis_positions(np.arange(first_row, first_row + rows + 1), y_dim, scale)
        self.evaluated = 0

    def evaluate(self, need, step):
        """Run the network on the points of the `step` lattice marked in `need` (a mask of that lattice)."""
        for rows, columns in _chunks_of(need, self.chunk):
            rows, columns = rows * step, columns * step
            self.evaluate_at(rows, columns)

    def evaluate_at(self, rows, columns):
        """Network values at pixels (rows, columns) of the window → [n, c_dim]; they are stored and known."""
        x, y = self.xs[columns], self.ys[rows]
        coords = np.stack([x, y, np.sqrt(x * x + y * y)], axis=1)
        values = self.generator.draw(self.z, coords, self.scale).numpy()[0]
        self.values[rows, columns] = values
        self.known[rows, columns] = True
        self.evaluated += len(rows)
        return values

    def refine(self, tile_side, tolerance):
        """Adaptive rendering of the whole window from `tile_side` tiles down to pixels."""
        active = np.ones(((self.values.shape[0] - 1) // tile_side, (self.values.shape[1] - 1) // tile_side), bool)
        side = tile_side
        while side >= 2 and active.any():
            half = side // 2
            rows, columns = active.shape
            lattice = np.zeros((2 * rows + 1, 2 * columns + 1), dtype=bool)
            for di in range(3):
                for dj in range(3):
                    lattice[di:di + 2 * rows:2, dj:dj + 2 * columns:2] |= active
            self.evaluate(lattice & ~self.known[::half, ::half], half)
            if half == 1:
                break
            refined = _dilate(self._rough(active, half, tolerance))
            self._fill(active & ~refined, half)
            active = refined.repeat(2, axis=0).repeat(2, axis=1)
            side = half

    def _rough(self, active, half, tolerance):
        """Tiles of `active` (side 2·half) whose half-lattice samples leave their corners' bilinear interpolation."""
        ti, tj = np.nonzero(active)
        lattice = self.values[::half, ::half]
        i, j = 2 * ti, 2 * tj
        c00, c01, c10, c11 = lattice[i, j], lattice[i, j + 2], lattice[i + 2, j], lattice[i + 2, j + 2]
        residual = np.abs(lattice[i + 1, j + 1] - 0.25 * (c00 + c01 + c10 + c11))
        for sample, a, b in ((lattice[i, j + 1], c00, c01), (lattice[i + 2, j + 1], c10, c11),
                             (lattice[i + 1, j], c00, c10), (lattice[i + 1, j + 2], c01, c11)):
            np.maximum(residual, np.abs(sample - 0.5 * (a + b)), out=residual)
        rough = np.zeros_like(active)
        bad = residual.max(axis=1) > tolerance
        rough[ti[bad], tj[bad]] = True
        return rough

    def _fill(self, accepted, half):
        """Fill the pixels of `accepted` tiles (side 2·half) bilinearly from their half-lattice samples."""
        sub = accepted.repeat(2, axis=0).repeat(2, axis=1)
        si, sj = np.nonzero(sub)
        if not len(si):
            return
        values = self.values
        r, c, ch = values.strides
        tiles = np.lib.stride_tricks.as_strided(
            values, shape=(sub.shape[0], sub.shape[1], half, half, values.shape[2]),
            strides=(half * r, half * c, r, c, ch), writeable=True)
        weights = (np.arange(half, dtype=np.float32) / half)[None, :, None]
        per_call = max(1, 2**20 // (half * half))
        for k in range(0, len(si), per_call):
            i, j = si[k:k + per_call] * half, sj[k:k + per_call] * half
            c00, c01 = values[i, j][:, None], values[i, j + half][:, None]
            c10, c11 = values[i + half, j][:, None], values[i + half, j + half][:, None]
            top = c00 + (c01 - c00) * weights
            bottom = c10 + (c11 - c10) * weights
            tiles[si[k:k + per_call], sj[k:k + per_call]] = top[:, None] + (bottom - top)[:, None] * weights[:, :, None]

    def sharpest_step(self, rows, columns):
        """Largest change between two side-by-side evaluated pixels among `rows`×`columns` (any channel)."""
        step = 0.0
        for top in range(rows.start, rows.stop, 256):
            block = slice(top, min(top + 257, rows.stop))  # one row more: the step down to the next block
            values, known = self.values[block, :columns], self.known[block, :columns]
            for axis in (0, 1):
                ahead = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
                behind = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
                both = known[ahead] & known[behind]
                if both.any():
                    step = max(step, float(np.abs(values[ahead] - values[behind]).max(axis=-1)[both].max()))
        return step

    def probe(self, rows, columns, rng):
        """Evaluate about one in PROBE_EVERY of the filled pixels among `rows`×`columns` → largest fill error."""
        n = max(1, rows.stop - rows.start) * columns // PROBE_EVERY + 1
        picks = rng.integers(0, (rows.stop - rows.start) * columns, size=n)
        r, c = picks // columns + rows.start, picks % columns
        filled = ~self.known[r, c]
        r, c = r[filled], c[filled]
        if not len(r):
            return 0.0
        guesses = self.values[r, c].copy()
        error = 0.0
        for k in range(0, len(r), self.chunk):
            truth = self.evaluate_at(r[k:k + self.chunk], c[k:k + self.chunk])
            error = max(error, float(np.abs(truth - guesses[k:k + self.chunk]).max()))
        return error


def _adaptive_bands(generator, z, x_dim, y_dim, scale, memory_mb, verify, stats):
    """Yield (rows, [1, len(rows), x_dim, c_dim] floats) of one image (z: [1, z_dim]), adaptively rendered.

    Bands of rows are refined one at a time with a halo of one coarse tile
    above and below (so a rough tile's neighbour across a band edge refines
    too); the band's sample buffer and the network's activations each stay
    within about a quarter of `memory_mb`. With `verify` ("auto"), probes check the
    fill and a band with detail finer than the lattice, or one where
    adaptive rendering would evaluate most pixels, renders dense instead —
    and so does the rest of that image.
    """
    memory_mb = RENDER_MEMORY_MB if memory_mb is None else memory_mb
    chunk = chunk_pixels(generator.net_size, memory_mb / 4)
    side = coarse_tile(x_dim, y_dim, scale)
    columns = -(-x_dim // side) * side
    bytes_per_row = (columns + 1) * (4 * generator.c_dim + 1)
    band_rows = max(side, int(memory_mb * 2**20 / 4 // bytes_per_row) // side * side - 2 * side)
    rng = np.random.default_rng(0)
    dense = False
    for top in range(0, y_dim, band_rows):
        band = slice(top, min(top + band_rows, y_dim))
        if dense:
            stats["evaluated"] += (band.stop - top) * x_dim
            yield from _bands(generator, z, x_dim, y_dim, scale, memory_mb, top, band.stop)
            continue
        halo_top = side if top > 0 else 0
        halo_bottom = side if band.stop < y_dim else 0
        first = top - halo_top
        rows = -(-(band.stop + halo_bottom - first) // side) * side
        window = _Window(generator, z, x_dim, y_dim, scale, first, rows, columns, chunk)
        window.refine(side, ADAPTIVE_TOLERANCE)
        inside = slice(top - first, band.stop - first)
        share = window.evaluated / ((rows + 1) * (columns + 1))
        dense = verify and (share > AUTO_MAX_SHARE or window.sharpest_step(inside, x_dim) > AUTO_SHARPEST_STEP
                            or window.probe(inside, x_dim, rng) > PROBE_TOLERANCE)
        stats["evaluated"] += window.evaluated
        if dense:
            stats["dense_bands"] += 1
            stats["evaluated"] += (band.stop - top) * x_dim
            yield from _bands(generator, z, x_dim, y_dim, scale, memory_mb, top, band.stop)
        else:  # in pieces of one activation chunk, so that converting them to file pixels takes little memory
            step = max(1, chunk // x_dim)
            for piece in range(top, band.stop, step):
                end = min(piece + step, band.stop)
                yield slice(piece, end), window.values[None, piece - first:end - first, :x_dim]


def _assemble(generator, z, x_dim, y_dim, scale, memory_mb, dtype, convert, method, stats):
    """[batch, y_dim, x_dim, c_dim] of `dtype`, filled band by band with `convert(floats)`.

    `stats`, a dict if given, receives the pixels of the images ("pixels"),
    those the network evaluated ("evaluated"), and the bands that "auto"
    rendered dense ("dense_bands").
    """
    z = check_z(z, generator.z_dim)
    x_dim, y_dim = check_size(x_dim=x_dim, y_dim=y_dim)
    check_method(method)
    stats = {} if stats is None else stats
    stats.update(pixels=z.shape[0] * x_dim * y_dim, evaluated=0, dense_bands=0)
    images = np.empty((z.shape[0], y_dim, x_dim, generator.c_dim), dtype=dtype)
    if method == "dense" or (method == "auto" and x_dim * y_dim < AUTO_MIN_PIXELS):
        stats["evaluated"] = stats["pixels"]
        for band, floats in _bands(generator, z, x_dim, y_dim, scale, memory_mb):
            images[:, band] = convert(floats)
        return images
    for i in range(z.shape[0]):
        for band, floats in _adaptive_bands(generator, z[i:i + 1], x_dim, y_dim, scale, memory_mb,
                                            method == "auto", stats):
            images[i:i + 1, band] = convert(floats)
    return images


def render(generator, z, x_dim, y_dim, scale, memory_mb=None, method="dense", stats=None):
    """`generator`'s images for each z → [batch, y_dim, x_dim, c_dim] float32 in [0, 1].

    Drawn in bands of rows holding at most `memory_mb` of activations, so any
    resolution renders in bounded memory. `method`: "dense" evaluates the
    network at every pixel; "adaptive" only where the picture changes (see
    above), within 1/255 of dense; "auto" is adaptive that checks itself
    and renders dense where the picture has detail finer than its lattice.
    """
    return _assemble(generator, z, x_dim, y_dim, scale, memory_mb, np.float32, lambda floats: floats, method, stats)


def render_pixels(generator, z, x_dim, y_dim, scale, memory_mb=None, invert=True, method="dense", stats=None):
    """Like `render`, but file pixels: [batch, y_dim, x_dim(, 3)] uint8, as saved (inverted if `invert`).

    Each band is converted as it arrives, so a 16384×16384 still needs its
    uint8 pixels (256 MB grey) and one band of floats, not 1 GB of floats.
    """
    pixels = _assemble(generator, z, x_dim, y_dim, scale, memory_mb, np.uint8,
                       lambda floats: _file_pixels(floats, invert), method, stats)
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


# Still-image formats by file extension (Pillow's names).
IMAGE_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP", ".tif": "TIFF",
                    ".tiff": "TIFF"}


def image_format(path):
    """The still-image format a file name asks for, or a clear error (never PNG data under another name)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in IMAGE_EXTENSIONS:
        raise ValueError(f"cannot tell an image format from {os.fspath(path)!r}: end the name with one of "
                         f"{', '.join(IMAGE_EXTENSIONS)}")
    return IMAGE_EXTENSIONS[ext]


def write_png(image, path, size=None, invert=True):
    """Save one image (floats inverted if `invert`) in the format its extension names, PNG for `.png`;
    `size=(width, height)` resizes it first."""
    from PIL import Image

    kind = image_format(path)
    picture = Image.fromarray(to_uint8(image, invert))
    if size is not None:
        picture = picture.resize(tuple(int(s) for s in size))
    with atomic_output(path) as tmp:
        picture.save(tmp, format=kind)


def write_gif(frames, path, durations, loop=0, invert=True):
    """Save frames as an animated GIF; `durations` in seconds, one per frame or one for all.

    Pillow stores a frame identical to the one before it as a longer showing
    of that frame (durations added), so such a GIF has fewer frames but the same timing.
    """
    import imageio.v3 as iio

    if not os.fspath(path).lower().endswith(".gif"):
        raise ValueError(f"{os.fspath(path)!r}: an animated GIF's name must end in .gif")
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
