"""Explore a CPPN in the browser: export a model for the page in `web/`, and serve both on 127.0.0.1.

    python sampler.py serve [--model-dir save] [--port 8000]      # then open the printed address
    python sampler.py export-web --out site/                       # the same page as static files
    python sampler.py export-web --art --seed 3 --out site/        # random-weight art, seed 3

(`python -m explorer serve ...` does the same.) The page redraws the
network itself, from the weights exported here: `model.json` holds the
generator's layers (kernels and biases as little-endian float32, base64),
its activations, the z of one encoded held-out digit per class and the
defaults. Random-weight art is exported from Python too, so the page draws
exactly the weights `Sampler(seed=...)` makes: the server builds them on
demand (`art/<name>.json`), a static export carries the seeds it was given.
"""

import argparse
import base64
import errno
import http.server
import json
import os
import re
import shutil
import sys
import threading

import numpy as np

from settings import ARCHITECTURES

HERE = os.path.dirname(os.path.abspath(__file__))
WEB_DIR = os.path.join(HERE, "web")
FORMAT = "cppn-explorer/1"
DEFAULT_PORT = 8000
# art/s<seed>-<architecture>-c<c_dim>-z<z_dim>-n<net_size>.json: the one name for an art model, served or exported.
ART_NAME = re.compile(r"^s(\d+)-([a-z_]+)-c([13])-z(\d+)-n(\d+)\.json$")
ART_LIMITS = dict(z_dim=256, net_size=256)  # what the server builds on request


class ExplorerError(RuntimeError):
    """Something the user can fix (a bad model folder, a missing export, a busy port): the message says what."""


# --------------------------------------------------------------------------- export


class _Weights:
    """Float32 arrays packed one after another; each layer names its offset and shape."""

    def __init__(self):
        self.parts, self.size = [], 0

    def add(self, array):
        array = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
        offset = self.size
        self.parts.append(array.ravel())
        self.size += array.size
        return {"offset": offset, "shape": list(array.shape)}

    def encoded(self):
        data = np.concatenate(self.parts) if self.parts else np.zeros(0, "<f4")
        return base64.b64encode(data.tobytes()).decode("ascii")


def _activation_name(function):
    name = getattr(function, "__name__", "linear")
    if name not in ("linear", "tanh", "relu", "softplus", "sigmoid"):
        raise ExplorerError(f"activation {name!r} has no browser version yet")
    return name


def _dense(layer, weights):
    kernel = layer.kernel.numpy()
    spec = {"in": kernel.shape[0], "out": kernel.shape[1], "kernel": weights.add(kernel),
            "activation": _activation_name(layer.activation)}
    spec["bias"] = weights.add(layer.bias.numpy()) if layer.use_bias else None
    return spec


def generator_spec(generator):
    """The layers of a `Generator` as the page rebuilds them → (dict, _Weights).

    Walks the built network rather than re-reading ARCHITECTURES, so any
    generator this repository builds (plain, multi-layer steps, residual
    blocks) exports the same way.
    """
    import keras

    weights = _Weights()
    steps = []
    for layer in generator.hidden.layers:
        residual = layer.__class__.__name__ == "Residual"
        inner = layer.layer if residual else layer
        if isinstance(inner, keras.layers.Identity):
            continue
        dense = inner.layers if isinstance(inner, keras.Sequential) else [inner]
        steps.append({"residual": residual, "layers": [_dense(d, weights) for d in dense]})
    output = ARCHITECTURES[generator.architecture].output
    spec = {
        "z_dim": generator.z_dim, "c_dim": generator.c_dim, "net_size": generator.net_size,
        "architecture": generator.architecture, "scale_z": bool(generator.scale_z),
        "n_coords": generator.n_coords,
        "z_input": _dense(generator.z_input, weights),
        "xyr_input": _dense(generator.xyr_input, weights),
        "first": _activation_name(generator.first_activation),
        "steps": steps,
        "output_layer": _dense(generator.output_layer, weights),
        "output": output,
    }
    return spec, weights


def export_generator(generator, kind="trained", scale=8.0, prior="normal", invert=True, mixture=None, **extra):
    """Any `Generator` as the page's model.json dict; `extra` (name, system, digits, art) goes in as it is.

    `prior` says where the page's random z come from: normal, uniform (art), or fitted, from `mixture`
    (a latent_prior.GaussianMixture).
    """
    spec, weights = generator_spec(generator)
    defaults = {"scale": float(scale), "size": 256, "prior": prior, "invert": bool(invert)}
    if mixture is not None:
        defaults["mixture"] = {"weights": mixture.weights.tolist(), "means": mixture.means.tolist(),
                               "scales": mixture.scales.tolist()}
    return {
        "format": FORMAT, "kind": kind, **extra,
        "generator": spec,
        "defaults": defaults,
        "architectures": list(ARCHITECTURES),
        "weights": weights.encoded(),
    }


def _export(sampler, kind, extra):
    prior = sampler.prior.name if sampler.trained else "uniform"
    mixture = sampler.prior if prior == "fitted" else None
    return export_generator(sampler.model.generator, kind, sampler.scale, prior, sampler.invert, mixture, **extra)


def heldout_digits(sampler, config, model_dir, data_dir=None, split=None):
    """{label: z} for the first digit of each class in the run's held-out split (or None if it has none).

    The split is config.json's training.heldout_split (the shipped model: t10k,
    digits it never saw) in the folder it trained from, or `split` of the IDX
    folder `data_dir`; images are cropped to the model's 26×26 around the
    centre and encoded to z_mean.
    """
    if not (sampler.model.has_encoder and sampler.invert and sampler.c_dim == 1):
        return None
    from mnist_data import IMAGE_MAGIC, LABEL_MAGIC, read_idx

    data = config.get("data", {})
    relative = data.get("data_dir_from_run")
    candidates = [data_dir, os.path.normpath(os.path.join(model_dir, relative)) if relative else None,
                  config.get("training", {}).get("data_dir")]
    folder = next((c for c in candidates if c and os.path.isdir(c)), None)
    split = split or config.get("training", {}).get("heldout_split") or data.get("split") or "t10k"
    if folder is None:
        return None
    try:
        images = read_idx(_idx_path(folder, split, "images-idx3"), IMAGE_MAGIC)
        labels = read_idx(_idx_path(folder, split, "labels-idx1"), LABEL_MAGIC)
    except Exception:  # no such split there: the page simply has no digit buttons
        return None
    size = sampler.model.x_dim
    top = (images.shape[1] - size) // 2
    digits = {}
    for label in range(10):
        found = np.flatnonzero(labels == label)
        if len(found):
            image = images[found[0], top:top + size, top:top + size].astype(np.float32) / 255.0
            digits[str(label)] = [float(v) for v in sampler.encode(image)[0]]
    return {"split": split, "folder": os.path.basename(folder), "z": digits}


def _idx_path(folder, split, kind):
    path = os.path.join(folder, f"{split}-{kind}-ubyte")
    return path + ".gz" if os.path.exists(path + ".gz") else path


def export_trained(model_dir="save", data_dir=None, split=None):
    """The trained run in `model_dir` as the page's model.json dict; ExplorerError if there is none.

    `data_dir` and `split`: an IDX folder and split to take the digit buttons'
    digits from, instead of the run's held-out split.
    """
    config_path = os.path.join(model_dir, "config.json")
    if not os.path.isdir(model_dir):
        raise ExplorerError(f"model folder {model_dir!r} does not exist; pass --model-dir with a run of "
                            f"train.py (e.g. save), or use --art for random-weight art")
    from sampler import Sampler

    try:
        sampler = Sampler(model_dir=model_dir, seed=0)
    except Exception as error:  # CheckpointError, unreadable weights: say so without a traceback
        raise ExplorerError(f"cannot load a trained model from {model_dir!r}: {error}") from None
    config = {}
    if os.path.exists(config_path):
        with open(config_path) as f:
            config = json.load(f)
    extra = {"name": os.path.basename(os.path.abspath(model_dir)),
             "system": getattr(sampler.model, "system", "cppnvae"),
             "digits": heldout_digits(sampler, config, model_dir, data_dir, split)}
    return _export(sampler, "trained", extra)


def art_settings(seed=0, architecture=None, c_dim=None, z_dim=None, net_size=None, scale=None):
    """The art sampler's settings: those given, the Sampler's defaults for the rest."""
    from sampler import ART_DEFAULTS

    settings = dict(ART_DEFAULTS)
    given = dict(architecture=architecture, c_dim=c_dim, z_dim=z_dim, net_size=net_size, scale=scale)
    settings.update({k: v for k, v in given.items() if v is not None})
    settings["seed"] = int(seed)
    if settings["architecture"] not in ARCHITECTURES:
        raise ExplorerError(f"unknown architecture {settings['architecture']!r}; "
                            f"choose one of {', '.join(ARCHITECTURES)}")
    return settings


def art_name(settings):
    return "s{seed}-{architecture}-c{c_dim}-z{z_dim}-n{net_size}.json".format(**settings)


_ART_LOCK = threading.Lock()  # Keras' global seed: one art model built at a time


def export_art(seed=0, architecture=None, c_dim=None, z_dim=None, net_size=None, scale=None):
    """Random-weight art exactly as `Sampler(seed=seed, ...)` draws it, as the page's model.json dict."""
    from sampler import Sampler

    settings = art_settings(seed, architecture, c_dim, z_dim, net_size, scale)
    with _ART_LOCK:
        sampler = Sampler(**{k: settings[k] for k in ("z_dim", "c_dim", "scale", "net_size", "architecture")},
                          seed=settings["seed"])
        return _export(sampler, "art", {"name": art_name(settings)[:-5], "system": "art", "art": settings})


def write_export(out_dir, model):
    """The page's static files and `model` (an export dict) in `out_dir`, ready for any static host."""
    shutil.copytree(WEB_DIR, out_dir, dirs_exist_ok=True)
    _write_json(os.path.join(out_dir, "model.json"), model)
    if model["kind"] == "art":
        os.makedirs(os.path.join(out_dir, "art"), exist_ok=True)
        _write_json(os.path.join(out_dir, "art", art_name(model["art"])), model)
    return os.path.join(out_dir, "index.html")


def _write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f)


# --------------------------------------------------------------------------- server


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the page folder, plus model.json and art/<name>.json made on demand."""

    server_version = "cppn-explorer"

    def __init__(self, request, client_address, server):
        super().__init__(request, client_address, server, directory=server.static_dir)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        # Cross-origin isolation: lets a page use SharedArrayBuffer (threaded WebAssembly).
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/model.json" and self.server.model_bytes is not None:
            return self._send_json(self.server.model_bytes)
        match = ART_NAME.match(path[len("/art/"):]) if path.startswith("/art/") else None
        if match and self.server.make_art:
            return self._send_art(match)
        return super().do_GET()

    def _send_art(self, match):
        seed, architecture, c_dim, z_dim, net_size = match.groups()
        if int(z_dim) > ART_LIMITS["z_dim"] or int(net_size) > ART_LIMITS["net_size"] or 0 in (int(z_dim), int(net_size)):
            return self.send_error(400, f"z_dim and net_size must be 1 to {ART_LIMITS['z_dim']}")
        name = match.group(0)
        cache = self.server.art_cache
        if name not in cache:
            try:
                model = export_art(int(seed), architecture, int(c_dim), int(z_dim), int(net_size))
            except ExplorerError as error:
                return self.send_error(400, str(error))
            cache[name] = json.dumps(model).encode()
        return self._send_json(cache[name])

    def _send_json(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def make_server(model=None, port=DEFAULT_PORT, static_dir=WEB_DIR, make_art=True, verbose=False):
    """An HTTP server on 127.0.0.1:port (0: any free port) for the page and `model` (an export dict or None).

    `static_dir` is the page folder, or an exported folder (with its own
    model.json) when `model` is None. Call `serve_forever()` on it.
    """
    if model is None and not os.path.exists(os.path.join(static_dir, "model.json")):
        raise ExplorerError(f"no model.json in {static_dir!r}: make one with "
                            f"`python sampler.py export-web --out {static_dir}`, or serve a trained run "
                            f"with `python sampler.py serve --model-dir save`")
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ExplorerError(f"port {port} on 127.0.0.1 is already in use (another server?); "
                                f"pick another with --port N, or --port 0 for any free one") from None
        raise ExplorerError(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None
    server.daemon_threads = True
    server.static_dir = static_dir
    server.model_bytes = None if model is None else json.dumps(model).encode()
    server.make_art = make_art
    server.art_cache = {}
    server.verbose = verbose
    return server


# Headless Chromium as root on a machine without network or GPU (tests, benchmarks).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader"]


def launch_chromium(playwright, user_data_dir):
    """Debian's Chromium through Playwright, with a fresh profile in `user_data_dir` → a BrowserContext."""
    return playwright.chromium.launch_persistent_context(
        user_data_dir, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport={"width": 1100, "height": 760})


def server_address(server):
    return f"http://127.0.0.1:{server.server_address[1]}/"


# --------------------------------------------------------------------------- command line


def _model_arguments(c):
    c.add_argument("--model-dir", default="save", help="the trained model (default: save)")
    c.add_argument("--data-dir", default=None, help="IDX folder for the digit buttons (default: the run's data)")
    c.add_argument("--split", default=None, help="its split (default: the run's held-out split, else its training split)")
    c.add_argument("--art", action="store_true", help="random-weight art instead of a trained model")


def _art_arguments(c):
    c.add_argument("--seed", type=int, default=0, help="art: the seed of the random weights (default: 0)")
    c.add_argument("--architecture", default=None, help="art: one of the Sampler's architectures (default: tanh)")
    c.add_argument("--c-dim", type=int, choices=(1, 3), default=None, help="art: 1 grey, 3 colour (default: 1)")
    for name in ("z-dim", "net-size", "scale"):
        c.add_argument(f"--{name}", type=float if name == "scale" else int, default=None,
                       help="art (default: the Sampler's, as `sampler.py art`)")


def add_commands(subparsers):
    """Register `serve` and `export-web` on an argparse subparsers object (sampler.py's, or this module's)."""
    c = subparsers.add_parser("serve", help="Explore a model in the browser: a local web server on 127.0.0.1.",
                              description="Serve the explorer page and a model on 127.0.0.1 (Ctrl-C stops it).")
    c.add_argument("--export", default=None, metavar="DIR", help="serve a folder written by export-web instead")
    c.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0: any free one)")
    _model_arguments(c)
    _art_arguments(c)
    c = subparsers.add_parser("export-web", help="Write the explorer page and a model as static files.",
                              description="Write the explorer page with a model for any static web host.")
    c.add_argument("--out", required=True, help="the folder to write (made if missing)")
    _model_arguments(c)
    _art_arguments(c)


def _model_from(args):
    if args.art:
        return export_art(args.seed, args.architecture, args.c_dim, args.z_dim, args.net_size, args.scale)
    return export_trained(args.model_dir, args.data_dir, args.split)


def run_command(args):
    """Carry out `serve` or `export-web`; an ExplorerError's message is the user's to read (no traceback)."""
    if args.command == "export-web":
        page = write_export(args.out, _model_from(args))
        print(f"wrote {page} and model.json: serve the folder with any static web server, "
              f"or `python sampler.py serve --export {args.out}`", flush=True)
        return 0
    if args.export:
        server = make_server(None, args.port, static_dir=args.export, make_art=False)
    else:
        server = make_server(_model_from(args), args.port)
    print(f"explorer on {server_address(server)} (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__.split("\n")[0])
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="command"))
    args = parser.parse_args(argv)
    try:
        return run_command(args)
    except ExplorerError as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
