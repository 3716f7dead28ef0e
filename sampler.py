"""Ha's `Sampler`: draw from a trained CPPN (any of train.py's models) or a random-weight CPPN, in IPython or a script.

In IPython (terminal or Jupyter):

    %run -i sampler.py
    sampler = Sampler()                                    # the trained model in save/   (post 000)
    sampler = Sampler(model_dir="frogs")                   # any other run of train.py    (posts 001, 003, 004)
    sampler = Sampler(z_dim=8, scale=10.0, net_size=32)    # random-weight CPPN art       (post 002)

`Sampler()` with no art settings loads the trained model in `model_dir`
(default `save/`); giving any of `z_dim`, `c_dim`, `scale`, `net_size` or
`architecture` makes a random-weight art CPPN instead. From a shell,
`python sampler.py --help` lists the rendering commands.
"""

import argparse
import math
import os
import sys


def _help_only():
    """True for `python sampler.py ... --help`: it answers at once, without loading TensorFlow."""
    return __name__ == "__main__" and any(arg in ("-h", "--help") for arg in sys.argv[1:])


# Imported here, not where used: `%run -i path/to/sampler.py` puts this folder
# on the import path only while the file runs.
if not _help_only():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    from cppn import CPPN
    from datasets import load_dataset
    from mnist_data import DataError
    from render import (IMAGE_EXTENSIONS, check_method, check_size, check_writable, check_z, render_pixels,
                        show_image, tile, to_uint8, write_gif, write_mp4, write_png)
    from run_folder import RunFolderError, load_trained, training_data
    import model, resnet, wgan_gp  # noqa: F401,E401  every system, loaded while this folder is on the path
import explorer
import latent_prior
from settings import ARCHITECTURES, count, finite, positive_float, positive_int
ART_DEFAULTS = dict(z_dim=8, c_dim=1, scale=10.0, net_size=32, architecture="tanh")
MORPH_FRAMES = 24
MORPH_FPS = 24


class Sampler:
    """Upstream's sampler API over a trained model (`CPPNVAE`, `ResidualCPPNVAE`,
    `CPPNWGANGP`) or a random-weight `CPPN`.

    Trained model (`sampler.trained`): latents come from its prior (N(0, 1),
    or the mixture fitted to its training images' encodings: `prior`), `generate`
    defaults to 512×512 at scale 8.0, and `encode` (models with an encoder)
    and the MNIST helpers work. Art: latents are uniform(-1, 1), `generate`
    defaults to 1080×1060 at the sampler's scale, and `reinit()` redraws the
    weights. `sampler.invert`: files hold digits' ink dark on white
    (`(1 - x) · 255`, as upstream saved them); pictures trained from colour
    or your own images are saved as they are.
    """

    def __init__(self, z_dim=None, c_dim=None, scale=None, net_size=None, architecture=None,
                 model_dir="save", seed=None, data_dir=None, split=None, memory_mb=None, temperature=1.0,
                 render=None, prior="auto"):
        self.rng = np.random.default_rng(seed)
        self.temperature = _check_temperature(temperature)
        self.memory_mb = memory_mb  # activation memory of a render, MB (None: render.RENDER_MEMORY_MB)
        self.seed = seed
        self.z = None
        self._data = None
        art = dict(z_dim=z_dim, c_dim=c_dim, scale=scale, net_size=net_size, architecture=architecture)
        self.trained = all(value is None for value in art.values())
        if memory_mb is not None and not (isinstance(memory_mb, (int, float)) and 0 < memory_mb < math.inf):
            raise ValueError(f"memory_mb must be a positive number of megabytes, got {memory_mb!r}")
        if self.trained:
            self.model, config, _ = load_trained(model_dir)
            self.prior = latent_prior.load(model_dir, self.model.z_dim, prior)
            self.data_source = training_data(config, model_dir)
            self.scale = 8.0
            self.invert = config.get("data", {}).get("ink", True)
        else:
            art = _check_art({name: ART_DEFAULTS[name] if value is None else value for name, value in art.items()})
            if seed is not None:
                keras.utils.set_random_seed(seed)
            self.model = CPPN(batch_size=1, **art)
            self.prior = None
            self.scale = art["scale"]
            self.data_source = {}
            self.invert = True  # upstream saved its art inverted too
        if data_dir is not None or split is not None:
            self.data_source = dict(self.data_source, data_dir=data_dir, split=split or "train")
        self.z_dim, self.c_dim = self.model.z_dim, self.model.c_dim
        # Adaptive rendering meets its 1/255 target on trained models; art's fine patterns often do not.
        self.render = check_method(render or ("auto" if self.trained else "dense"))

    # ------------------------------------------------------------------ latents and images

    def generate_z(self):
        """One latent vector, [1, z_dim]: for a trained model from its prior (`sampler.prior`: N(0, I), or the
        mixture fitted to its training images' encodings when the model folder has one, see latent_prior.py),
        spread by `temperature` t (1 by default; below 1 trades variety for cleaner samples, as large GANs'
        truncation trick); uniform(-1, 1) for art."""
        if self.trained:
            return self.prior.sample(1, self.rng, self.temperature)
        return self.rng.uniform(-1.0, 1.0, size=(1, self.z_dim)).astype(np.float32)

    def _request(self, z, x_dim, y_dim, scale, bytes_per_value=4):
        """Fill in the defaults of one `generate` call, check them, and remember its z in `sampler.z`
        → (x_dim, y_dim, scale)."""
        default_x, default_y = (512, 512) if self.trained else (1080, 1060)
        x_dim, y_dim = check_size(x_dim=default_x if x_dim is None else x_dim, y_dim=default_y if y_dim is None else y_dim)
        scale = _check_scale(self.scale if scale is None else scale)
        _check_memory(x_dim * y_dim * self.c_dim * bytes_per_value, x_dim, y_dim)
        self.z = self.generate_z() if z is None else _check_single_z(z, self.z_dim)
        return x_dim, y_dim, scale

    def generate(self, z=None, x_dim=None, y_dim=None, scale=None):
        """One image, [y_dim, x_dim, c_dim] in [0, 1]; remembers its z in `sampler.z`.

        Defaults: 512×512 at scale 8.0 for a trained model, 1080×1060 at the
        sampler's scale (10.0) for art, as upstream's two samplers had them.
        """
        x_dim, y_dim, scale = self._request(z, x_dim, y_dim, scale)
        return self.model.generate(self.z, x_dim, y_dim, scale, self.memory_mb, method=self.render)[0]

    def generate_pixels(self, z=None, x_dim=None, y_dim=None, scale=None):
        """`generate` as file pixels (uint8, as saved), never holding the image as floats.

        For very large stills: `save_png(sampler.generate_pixels(x_dim=16384, y_dim=16384), ...)`.
        """
        x_dim, y_dim, scale = self._request(z, x_dim, y_dim, scale, bytes_per_value=1)
        return render_pixels(self.model.generator, self.z, x_dim, y_dim, scale, self.memory_mb, self.invert,
                             method=self.render)[0]

    def generate_batch(self, z, x_dim=None, y_dim=None, scale=None):
        """Images for several latents at once, [batch, y_dim, x_dim, c_dim] floats (e.g. a grid of samples)."""
        z = check_z(z, self.z_dim)
        x_dim, y_dim, scale = self._request(z[:1], x_dim, y_dim, scale, bytes_per_value=4 * len(z))
        return self.model.generate(z, x_dim, y_dim, scale, self.memory_mb, method=self.render)

    def morph_pixels(self, z1, z2, n_total_frame=10, x_dim=512, y_dim=512, scale=8.0, sinusoid=False):
        """`morph`'s frames as file pixels, uint8 [n_total_frame, y_dim, x_dim(, 3)], rendered together."""
        zs = self.morph_z(z1, z2, n_total_frame, sinusoid)
        x_dim, y_dim, scale = self._request(z1, x_dim, y_dim, scale, bytes_per_value=n_total_frame)
        return render_pixels(self.model.generator, zs, x_dim, y_dim, scale, self.memory_mb, self.invert,
                             method=self.render)

    def encode(self, image):
        """One image at the training size ([26, 26], [26, 26, 1] or 676 values for digits) → its z, [1, z_dim]."""
        self._require_trained("encode")
        image = np.asarray(image, dtype=np.float32)
        return self.model.encode(image.reshape((1,) + image.shape))

    def reinit(self):
        """Redraw the art CPPN's random weights: the same z now draws a new picture."""
        if self.trained:
            raise RuntimeError("reinit() redraws random weights, which would erase this trained model; "
                               "use it with an art sampler, e.g. Sampler(z_dim=8, scale=10.0, net_size=32)")
        self.model.reinit()

    def morph(self, z1, z2, n_total_frame=10, x_dim=512, y_dim=512, scale=8.0, sinusoid=False):
        """Frames from z1 to z2 inclusive, evenly spaced or eased with sin(t·π/2); one batched render."""
        zs = self.morph_z(z1, z2, n_total_frame, sinusoid)
        return list(self.model.generate(zs, x_dim, y_dim, scale, self.memory_mb, method=self.render))

    def morph_z(self, z1, z2, n_total_frame=10, sinusoid=False):
        """The latents of `morph`'s frames, [n_total_frame, z_dim]."""
        z1, z2 = _check_single_z(z1, self.z_dim), _check_single_z(z2, self.z_dim)
        if n_total_frame < 2:
            raise ValueError(f"n_total_frame must be at least 2 (z1 and z2), got {n_total_frame}")
        factors = np.arange(n_total_frame) / (n_total_frame - 1)
        if sinusoid:
            factors = np.sin(factors * np.pi / 2)
        return z1 + (z2 - z1) * factors[:, None].astype(np.float32)

    # ------------------------------------------------------------------ showing and saving

    def show_image(self, image):
        """Show an image with matplotlib: digits' ink dark, nearest pixels, no axes."""
        show_image(image, self.invert)

    def show_image_from_z(self, z):
        self.show_image(self.generate(z))

    def to_image(self, image):
        """A PIL image as it would be saved (digits inverted: dark ink on white)."""
        from PIL import Image

        return Image.fromarray(to_uint8(image, self.invert))

    def save_png(self, image, filename, specific_size=None):
        """Write a PNG (digits as `(1 - image) · 255`); `specific_size=(width, height)` resizes it first."""
        write_png(image, filename, specific_size, self.invert)

    def save_anim_gif(self, first, second, *args, **kwargs):
        """Write a looping GIF, in either upstream form, told apart by the second argument:

        - `save_anim_gif(frames, filename, duration=0.1)` (post 000): a file name
          second means frames came first; see `save_frames_gif`.
        - `save_anim_gif(z1, z2, filename, n_frame=10, ...)` (post 002): a latent
          vector second; see `save_morph_gif`.
        """
        if isinstance(second, (str, os.PathLike)):
            return self.save_frames_gif(first, second, *args, **kwargs)
        return self.save_morph_gif(first, second, *args, **kwargs)

    def save_frames_gif(self, img_data_array, filename, duration=0.1):
        """Every frame shown `duration` seconds, looping forever."""
        write_gif(img_data_array, filename, duration, invert=self.invert)

    def save_morph_gif(self, z1, z2, filename, n_frame=10, duration1=0.5, duration2=1.0, duration=0.1,
                       x_dim=512, y_dim=512, scale=10.0, reverse=True):
        """z1, `n_frame` frames between, z2; z1 shown `duration1`, z2 `duration2`, the rest `duration`.

        With `reverse` the frames then play back to z1 (z2 not repeated), each
        `duration`, the final z1 frame `duration1`.
        """
        check_writable(filename)
        frames = self.morph(z1, z2, n_frame + 2, x_dim, y_dim, scale)
        durations = [duration1] + [duration] * n_frame + [duration2]
        if reverse:
            frames += frames[-2::-1]
            durations += [duration] * n_frame + [duration1]
        write_gif(frames, filename, durations, invert=self.invert)

    # ------------------------------------------------------------------ MNIST digits

    @property
    def mnist(self):
        """The digits the model was trained on (or `data_dir`/`split` given to the sampler), loaded once."""
        if self._data is None:
            source = self.data_source
            if not source.get("data_dir") and not source.get("dataset"):
                raise RuntimeError("this sampler has no digits: pass data_dir (an IDX folder) to Sampler()")
            try:
                self._data = load_dataset(source.get("dataset") or "mnist", source.get("data_dir"),
                                          source.get("split"), seed=int(self.rng.integers(2**31)))
            except DataError as error:
                raise DataError(f"{error}\n(for the Sampler: Sampler(data_dir=..., split=...))") from None
        return self._data

    def get_random_mnist(self, with_label=False):
        """A random 26×26 digit (and its label)."""
        if with_label:
            images, labels = self.mnist.next_batch(1, with_label=True)
            return images[0], int(labels[0])
        return self.mnist.next_batch(1)[0]

    def get_random_specific_mnist(self, label=2):
        """A random digit of class `label` (up to 100 draws), or None."""
        for _ in range(100):
            image, found = self.get_random_mnist(with_label=True)
            if found == label:
                return image
        return None

    def generate_random_label(self, label):
        """Show a random digit of class `label` and its reconstruction."""
        self._require_trained("generate_random_label")
        image = self.get_random_specific_mnist(label)
        self.show_image(image)
        self.show_image_from_z(self.encode(image))

    def _require_trained(self, what):
        if not self.trained:
            raise RuntimeError(f"{what}() needs a trained model with an encoder; this sampler draws "
                               f"random-weight art. Use Sampler() with a model in save/")
        if not self.model.has_encoder:
            raise RuntimeError(f"{what}() needs a model with an encoder; this {self.model.system} model has "
                               f"none (train with --model cppnvae or --model resnet to encode images)")

    @property
    def draws_digits(self):
        """Whether this is a trained model with an encoder that drew MNIST-style digits (the digit helpers apply)."""
        return self.trained and self.model.has_encoder and self.invert


def _check_single_z(z, z_dim):
    """One latent vector as [1, z_dim], or a clear error."""
    z = check_z(z, z_dim)
    if z.shape[0] != 1:
        raise ValueError(f"expected one latent vector ([{z_dim}] or [1, {z_dim}]), got a batch of {z.shape[0]}")
    if not np.all(np.isfinite(z)):
        raise ValueError("z holds NaN or infinite values; every value must be a finite number")
    return z


def _check_scale(scale):
    """The zoom as a finite float, or a clear error (NaN would draw a blank picture)."""
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a number, got {scale!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"scale must be a finite number, got {scale!r}")
    return value


def _check_temperature(temperature):
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 < value < math.inf:
        raise ValueError(f"temperature must be a number above 0 (1: the prior itself), got {temperature!r}")
    return value


def _check_art(art):
    """Art settings checked before TensorFlow sees them (z_dim=0 would abort the process)."""
    for name in ("z_dim", "net_size"):
        if isinstance(art[name], bool) or not isinstance(art[name], (int, np.integer)) or art[name] < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {art[name]!r}")
    if art["c_dim"] not in (1, 3):
        raise ValueError(f"c_dim must be 1 (grey) or 3 (colour), got {art['c_dim']!r}")
    if art["architecture"] not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {art['architecture']!r}; choose one of {', '.join(ARCHITECTURES)}")
    art["scale"] = _check_scale(art["scale"])
    return art


def _check_memory(n_bytes, x_dim, y_dim):
    """Refuse a render whose pixels alone would not fit in the memory free now (it would kill the session)."""
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if n_bytes > 0.8 * free:
        raise MemoryError(f"{x_dim}×{y_dim} needs {n_bytes / 2**30:.1f} GiB for its pixels but only "
                          f"{free / 2**30:.1f} GiB is free; draw it smaller, or as file pixels with "
                          f"generate_pixels (a quarter of the memory), or in tiles")


# --------------------------------------------------------------------------- command line


def image_size(text):
    """'1080' (square) or '1920x1080' (width x height) → (width, height)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: use 1080 or 1920x1080")
    return tuple(parts)


def digit(text):
    value = int(text)
    if not 0 <= value <= 9:
        raise argparse.ArgumentTypeError(f"{text} is not a digit class 0-9")
    return value


def latent(text):
    try:
        return np.array([float(v) for v in text.split(",")], dtype=np.float32)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None


def _command(commands, name, help, size=512, out=None):
    """One subcommand with the flags every command shares."""
    c = commands.add_parser(name, help=help, description=help)
    c.add_argument("--seed", type=count, default=None, help="reproduce an earlier output (default: a fresh seed, printed)")
    c.add_argument("--size", type=image_size, default=(size, size), help=f"WIDTHxHEIGHT or one number (default: {size})")
    c.add_argument("--out", default=out, help=f"output file (default: {out})")
    c.add_argument("--memory", type=positive_float, default=None, metavar="MB",
                   help="memory for the network's activations while rendering; any size renders within it "
                        "(default: the renderer's, 256)")
    c.add_argument("--render", choices=("dense", "adaptive", "auto"), default=None,
                   help="dense: every pixel; adaptive: the network only where the picture changes; auto: "
                        "adaptive, falling back to dense where it finds fine detail (default: auto for trained "
                        "models, dense for art)")
    if name != "art":
        c.add_argument("--model-dir", default="save", help="the trained model (default: save)")
        c.add_argument("--temperature", type=positive_float, default=1.0,
                       help="spread of the prior, z ~ N(0, t²); below 1: less variety, cleaner digits (default: 1)")
        c.add_argument("--prior", choices=latent_prior.CHOICES, default="auto",
                       help="where z comes from: normal, N(0, 1) as upstream; fitted, the Gaussian mixture fitted "
                            "to the training images' encodings (train.py --fit_prior); auto: fitted when the "
                            "model folder has one (default: auto)")
        c.add_argument("--scale", type=finite, default=8.0, help="zoom: coordinates span ±scale (default: 8.0)")
    if name in ("reconstruct", "morph", "arithmetic"):
        c.add_argument("--data-dir", default=None, help="IDX folder to pick digits from (default: the training data)")
        c.add_argument("--split", default=None, help="split of --data-dir (default: train)")
    return c


def build_parser():
    p = argparse.ArgumentParser(
        description="Render PNGs, GIFs and MP4s from a trained CPPN-GAN-VAE (save/) or a random-weight CPPN. "
                    "Each output prints the seed that reproduces it.",
        epilog="Examples:\n"
               "  python sampler.py sample --n 4 --size 1080\n"
               "  python sampler.py reconstruct --digit 3 --size 1080\n"
               "  python sampler.py morph --size 1080 --out digits.mp4\n"
               "  python sampler.py arithmetic --a 9 --b 1 --c 1\n"
               "  python sampler.py art --c-dim 3 --architecture sinusoid --size 1920x1080",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = p.add_subparsers(dest="command", required=True, metavar="command")

    c = _command(commands, "sample", "N random samples from the prior as PNGs.", out="sample-{i}.png")
    c.add_argument("--n", type=positive_int, default=4, help="how many (default: 4)")
    c.add_argument("--z", type=latent, default=None, help="draw this latent vector (comma-separated) instead")
    c.add_argument("--grid", type=positive_int, default=None, metavar="COLUMNS",
                   help="write the N samples as one PNG, COLUMNS to a row (e.g. --n 64 --size 26 --grid 8)")
    c = _command(commands, "reconstruct", "A random digit of a class, encoded and drawn again at any size.",
                 out="reconstruction.png")
    c.add_argument("--digit", type=digit, default=None, help="the class (default: any)")
    c = _command(commands, "morph", "One digit of each class 0-9 morphing to the next and back to 0 (sinusoid timing); "
                           "models not trained on digits morph through 10 random samples.",
                 size=1080, out="morph.gif")
    c.add_argument("--frames", type=positive_int, default=MORPH_FRAMES, help=f"frames per transition (default: {MORPH_FRAMES})")
    c.add_argument("--fps", type=positive_float, default=MORPH_FPS, help=f"frames per second (default: {MORPH_FPS})")
    c = _command(commands, "arithmetic", "Latent arithmetic z_a + (z_b - z_c) on random digits of classes a, b, c.",
                 out="arithmetic.png")
    for name, default in (("--a", 9), ("--b", 1), ("--c", 1)):
        c.add_argument(name, type=digit, default=default, help=f"class (default: {default})")
    c = _command(commands, "art", "Random-weight CPPN art (post 002).", size=1080, out="art-{i}.png")
    c.add_argument("--n", type=positive_int, default=1, help="how many (default: 1)")
    c.add_argument("--z-dim", type=positive_int, default=ART_DEFAULTS["z_dim"])
    c.add_argument("--c-dim", type=int, choices=(1, 3), default=ART_DEFAULTS["c_dim"], help="1 grey, 3 colour")
    c.add_argument("--net-size", type=positive_int, default=ART_DEFAULTS["net_size"])
    c.add_argument("--scale", type=finite, default=ART_DEFAULTS["scale"])
    c.add_argument("--architecture", choices=list(ARCHITECTURES), default=ART_DEFAULTS["architecture"])
    explorer.add_commands(commands)
    return p


def _numbered(pattern, i, n):
    """The i-th of n file names: `{i}` in the pattern is the number, else `-i` goes before the extension."""
    if "{i}" in pattern:
        return pattern.format(i=i)
    if n == 1:
        return pattern
    stem, ext = os.path.splitext(pattern)
    return f"{stem}-{i}{ext}"


def _digit_z(sampler, label):
    image = sampler.get_random_specific_mnist(label)
    if image is None:
        raise RuntimeError(f"no digit of class {label} found in 100 random draws from the data")
    return image, sampler.encode(image)


def _morph_frames(sampler, size, scale, frames):
    """The digit loop 0→1→…→9→0 (other models: 10 prior samples), yielded as uint8 frames, with a progress bar.

    Each transition's frames are rendered together, straight to file pixels.
    """
    if sampler.draws_digits:
        zs = [_digit_z(sampler, label)[1] for label in range(10)]
    else:
        zs = [sampler.generate_z() for _ in range(10)]
    progress = keras.utils.Progbar(10 * frames, unit_name="frame")
    for i in range(10):
        # frames + 1 eased frames, the last dropped: it is the next transition's first.
        for frame in sampler.morph_pixels(zs[i], zs[(i + 1) % 10], frames + 1, *size, scale, sinusoid=True)[:-1]:
            yield frame
            progress.add(1)


def _check_output(args):
    """Refuse an output name whose extension does not say a format this command writes, before any work."""
    kinds = (".gif", ".mp4") if args.command == "morph" else IMAGE_EXTENSIONS
    ext = os.path.splitext(args.out)[1].lower()
    if ext not in kinds:
        raise ValueError(f"--out {args.out}: {args.command} writes {' or '.join(kinds)} files; "
                         f"end the name with one of them")
    check_writable(args.out)
    width, height = args.size
    if width * height > 10**8:
        print(f"note: {width}×{height} is {width * height / 1e6:,.0f} megapixels per picture: expect minutes to "
              f"hours of rendering and {width * height * 3 / 2**30:.1f} GiB or more of memory", flush=True)


def run(args):
    """Carry out one parsed command through the Sampler, printing each file it writes with its seed."""
    import secrets

    if args.command in ("serve", "export-web"):
        return explorer.run_command(args)
    _check_output(args)
    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    if args.command == "art":
        sampler = Sampler(z_dim=args.z_dim, c_dim=args.c_dim, scale=args.scale, net_size=args.net_size,
                          architecture=args.architecture, seed=seed, memory_mb=args.memory, render=args.render)
    else:
        sampler = Sampler(model_dir=args.model_dir, seed=seed, data_dir=getattr(args, "data_dir", None),
                          split=getattr(args, "split", None), memory_mb=args.memory, temperature=args.temperature,
                          render=args.render, prior=args.prior)
    width, height = args.size

    def save(image, path, note=""):
        sampler.save_png(image, path)
        print(f"wrote {path} ({image.shape[1]}×{image.shape[0]}, seed {seed}{note})", flush=True)

    def draw(z, path, note=""):
        save(sampler.generate_pixels(z, width, height, args.scale), path, note)

    if getattr(args, "grid", None):
        z = np.concatenate([sampler.generate_z() for _ in range(args.n)])
        save(tile(sampler.generate_batch(z, width, height, args.scale), args.grid), args.out.format(i="grid"),
             f", {args.n} samples")
    elif args.command in ("sample", "art"):
        n = 1 if getattr(args, "z", None) is not None else args.n
        for i in range(n):
            z = args.z if getattr(args, "z", None) is not None else sampler.generate_z()
            draw(z, _numbered(args.out, i, n), f", sample {i}")
    elif args.command == "reconstruct":
        label = args.digit if args.digit is not None else int(sampler.rng.integers(10))
        image, z = _digit_z(sampler, label)
        stem, ext = os.path.splitext(args.out)
        save(image, f"{stem}-digit{ext}", f", a {label}")
        draw(z, args.out, f", reconstruction of a {label}")
    elif args.command == "arithmetic":
        _, z_a = _digit_z(sampler, args.a)
        _, z_b = _digit_z(sampler, args.b)
        _, z_c = _digit_z(sampler, args.c)
        draw(z_a + (z_b - z_c), args.out, f", z_{args.a} + (z_{args.b} - z_{args.c})")
    elif args.command == "morph":
        frames = _morph_frames(sampler, args.size, args.scale, args.frames)
        if args.out.lower().endswith(".mp4"):
            write_mp4(frames, args.out, fps=args.fps)
        else:
            write_gif(list(frames), args.out, 1.0 / args.fps)
        print(f"wrote {args.out} (10 × {args.frames} frames, {width}×{height}, seed {seed})", flush=True)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        run(args)
    except (RunFolderError, DataError, ValueError, RuntimeError, OSError, MemoryError) as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    return 0


def _in_ipython():
    """True under `%run -i sampler.py`, where the command line must stay out of the way."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


if __name__ == "__main__" and not _in_ipython():
    sys.exit(main())
