"""How close rendering and training come to this machine's limit: prints each figure with its baseline.

    python benchmarks/bench.py            # the full run (most of an hour on 2 CPU cores)
    python benchmarks/bench.py --quick    # smaller sizes, to check it works
    python benchmarks/bench.py --only adaptive,posters --repeats 3   # some sections (see --help)
    python benchmarks/bench.py --only errors --seeds 100             # adaptive and auto against dense

Every time is the median of repeats; every speed is set against a baseline
measured in the same process (the GEMM peak, the naive render), so the
ratios hold on a busy machine where the absolute figures do not.
Memory figures come from separate processes, as the OS reports their peak RSS.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import render  # noqa: E402
from cppn import Generator  # noqa: E402
from ops import coordinates  # noqa: E402
from run_folder import load_trained  # noqa: E402
from settings import ARCHITECTURES  # noqa: E402


def median_time(function, repeats):
    """Median wall time of `function()` over `repeats` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def interleaved_medians(variants, repeats):
    """{name: median seconds} of each function in `variants`, after one compiling call each, timed
    in turns so that a busy machine slows every variant alike; results are fetched to the host."""
    times = {name: [] for name in variants}
    for function in variants.values():
        function()
    for _ in range(repeats):
        for name, function in variants.items():
            start = time.perf_counter()
            tf.nest.map_structure(np.asarray, function())
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(measured)) for name, measured in times.items()}


def gemm_peak(n=4096, repeats=7):
    """Attainable fp32 matmul throughput in GFLOP/s: an n×n by n×n product in a compiled function."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    product = tf.function(lambda: tf.matmul(a, b))
    seconds = median_time(lambda: product().numpy(), repeats)
    return 2 * n**3 / seconds / 1e9


# --------------------------------------------------------------------------- counting multiply-adds


def generator_macs_per_pixel(generator):
    """Multiply-adds per pixel of the CPPN (x, y, r input, hidden layers, output); z's projection is per image."""
    n = generator.net_size
    return 3 * n + (generator.depth - 1) * n * n + n * generator.c_dim


def network_macs(model):
    """Multiply-adds per image of a functional or Sequential Keras model made of Dense and Conv2D layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2D):
            _, height, width, _ = layer.output.shape
            total += height * width * int(np.prod(layer.kernel.shape))
    return total


def training_flops(model, steps):
    """FLOPs of one batch of Ha's rule, from the optimizer steps it took.

    A forward pass costs 2 FLOPs per multiply-add; a backward pass twice the
    forward. Every step draws a reconstruction (Q and G forward); the VAE
    and G steps train Q and G; G's loss also back-propagates through D; the
    gate evaluates D on real and fake once per batch, and each D step trains
    D on both.
    """
    vae_steps, g_steps, d_steps = steps
    q = network_macs(model.encoder)
    g = generator_macs_per_pixel(model.generator) * model.n_points + model.z_dim * model.net_size_g
    d = network_macs(model.discriminator)
    forward = lambda macs: 2 * macs  # noqa: E731
    vae = 3 * forward(q + g)
    g_step = 3 * forward(q + g) + 2 * forward(d)
    gate = forward(q + g) + 2 * forward(d)
    d_step = forward(q + g) + 2 * 3 * forward(d)
    return model.batch_size * (vae_steps * vae + g_steps * g_step + gate + d_steps * d_step)


# --------------------------------------------------------------------------- the measurements


def naive_render(generator, z, x_dim, y_dim, scale):
    """Upstream's way: z tiled to every pixel and the whole image through the network in one call."""
    pixels = x_dim * y_dim
    coords = tf.constant(coordinates(x_dim, y_dim, scale))

    @tf.function
    def draw(z):
        z_tiled = tf.tile(z * scale, [pixels, 1])
        h = generator.first_activation(generator.z_input(z_tiled) + generator.xyr_input(coords))
        return generator.output_function(generator.output_layer(generator.hidden(h)))

    return lambda: draw(tf.constant(z)).numpy()


def without_activations(generator):
    """The same generator with every activation the identity: its render time is the matrix products' alone."""
    linear = Generator(**generator.get_config())
    linear.set_weights(generator.get_weights())
    linear.first_activation = linear.output_function = tf.identity
    for layer in linear.hidden.layers:
        layer.activation = keras.activations.linear
    return linear


def xla_render(generator, z, size, scale, memory_mb):
    """The dense render through an XLA-compiled `call` on fixed-size chunks (the last one padded: no recompiles)."""
    chunk = render.chunk_pixels(generator.net_size, memory_mb)
    compiled = tf.function(lambda z, coords, scale: generator(z, coords, scale=scale), jit_compile=True)

    def draw():
        image = np.empty((size * size, generator.c_dim), np.float32)
        for top in range(0, size, max(1, chunk // size)):
            coords = coordinates(size, size, scale, rows=slice(top, top + max(1, chunk // size)))
            padded = np.zeros((max(1, chunk // size) * size, 3), np.float32)
            padded[:len(coords)] = coords
            image[top * size:top * size + len(coords)] = compiled(z, padded, np.float32(scale)).numpy()[0, :len(coords)]
        return image

    return draw


def render_figures(generator, size, repeats, peak):
    z = np.random.default_rng(0).normal(size=(1, generator.z_dim)).astype(np.float32)
    chunked = median_time(lambda: render.render(generator, z, size, size, 8.0), repeats)
    naive = median_time(naive_render(generator, z, size, size, 8.0), repeats)
    linear = without_activations(generator)
    products = median_time(lambda: render.render(linear, z, size, size, 8.0), repeats)
    flops = 2 * generator_macs_per_pixel(generator) * size * size
    gflops = flops / chunked / 1e9
    print(f"2. {size}×{size} render (bands of {render.chunk_pixels(generator.net_size)} pixels): "
          f"{chunked:.3f} s, {gflops:.1f} GFLOP/s = {gflops / peak:.0%} of the GEMM peak "
          f"({generator_macs_per_pixel(generator)} multiply-adds per pixel)")
    print(f"   the same render with identity activations (matrix products and bias adds only): {products:.3f} s, "
          f"{flops / products / 1e9:.1f} GFLOP/s = {flops / products / 1e9 / peak:.0%} of the peak; "
          f"the activations take {1 - products / chunked:.0%} of the render")
    print(f"3. naive upstream render (z tiled to every pixel, whole image in one call): {naive:.3f} s; "
          f"chunked is {naive / chunked:.2f}× faster")
    # Band sizes and XLA, interleaved so that a busy machine slows every variant alike.
    variants = {}
    for memory_mb in (64, render.RENDER_MEMORY_MB, 1024):
        variants[f"draw, {memory_mb} MB bands"] = lambda m=memory_mb: render.render(generator, z, size, size, 8.0, m)
        variants[f"XLA, {memory_mb} MB bands"] = xla_render(generator, z, size, 8.0, memory_mb)
    medians = interleaved_medians(variants, repeats)
    baseline = medians[f"draw, {render.RENDER_MEMORY_MB} MB bands"]
    for name, seconds in medians.items():
        print(f"   dense {name}: {seconds:.3f} s ({baseline / seconds:.2f}× the default), "
              f"{flops / seconds / 1e9 / peak:.0%} of the GEMM peak")


def random_art_weights(generator, rng):
    """Give `generator` fresh weights from its own initialisers' N(0, stddev²) (no new generator: no retracing)."""
    for layer in generator._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Dense):
            layer.kernel.assign(rng.normal(0.0, layer.kernel_initializer.stddev, layer.kernel.shape).astype(np.float32))
            if layer.use_bias:
                layer.bias.assign(rng.normal(0.0, layer.bias_initializer.stddev, layer.bias.shape).astype(np.float32))


def compare(generator, z, x_dim, y_dim, scale, method, dense=None):
    """(largest float error, largest file-pixel error in levels, share evaluated, dense bands) of `method` vs dense."""
    dense = render.render(generator, z, x_dim, y_dim, scale) if dense is None else dense
    stats = {}
    images = render.render(generator, z, x_dim, y_dim, scale, method=method, stats=stats)
    levels = np.abs(render._file_pixels(images).astype(int) - render._file_pixels(dense)).max()
    return float(np.abs(images - dense).max()), int(levels), stats["evaluated"] / stats["pixels"], stats["dense_bands"]


def error_figures(digits, seeds, size, adaptive_art_seeds):
    """Adaptive and auto against dense: the shipped model and random-weight art of every architecture.

    Auto is what users get; forced adaptive on art (which auto mostly renders
    dense) is measured on its first `adaptive_art_seeds` seeds only.
    """
    rng = np.random.default_rng(0)
    print(f"8. adaptive and auto vs dense, largest error over {seeds} seeds (float ink in 1/255, and file pixels "
          f"in levels), share of pixels the network evaluated:")
    rows = [("shipped digit model", digits, lambda: rng.normal(size=(1, digits.z_dim)), size, size, 8.0, None, seeds)]
    for architecture in ARCHITECTURES:  # Sampler's art defaults: z_dim 8, scale 10, net_size 32, 1080×1060
        art = Generator(z_dim=8, c_dim=1, net_size=32, architecture=architecture, stddev=1.0)
        rows.append((f"art {architecture}", art, lambda: rng.uniform(-1.0, 1.0, size=(1, 8)), size, size * 53 // 54,
                     10.0, art, adaptive_art_seeds))
    for name, generator, draw_z, x_dim, y_dim, scale, redraw, adaptive_seeds in rows:
        found = {"auto": [], "adaptive": []}
        for seed in range(seeds):
            if redraw is not None:
                random_art_weights(redraw, rng)
            z = draw_z().astype(np.float32)
            dense = render.render(generator, z, x_dim, y_dim, scale)
            for method in found:
                if method == "auto" or seed < adaptive_seeds:
                    found[method].append(compare(generator, z, x_dim, y_dim, scale, method, dense))
        line = []
        for method, results in found.items():
            if not results:
                continue
            error, levels = max(r[0] for r in results), max(r[1] for r in results)
            went_dense = np.mean([r[2] >= 1 for r in results])  # the network ran on every pixel
            line.append(f"{method} ({len(results)} seeds) {error * 255:.2f}/255, {levels} level{'s' * (levels != 1)}, "
                        f"median share {np.median([r[2] for r in results]):.0%}"
                        + (f", dense for {went_dense:.0%} of images" if method == "auto" else ""))
        print(f"   {name} ({x_dim}×{y_dim}, scale {scale:g}): " + "; ".join(line), flush=True)


def adaptive_figures(generator, size, seeds, repeats):
    """Dense, adaptive and auto 1080×1080 stills side by side in this process: medians over seeds, ratios, share."""
    rng = np.random.default_rng(1)
    times = {method: [] for method in render.METHODS}
    shares = []
    for _ in range(seeds):
        z = rng.normal(size=(1, generator.z_dim)).astype(np.float32)
        for method in render.METHODS:
            stats = {}
            times[method].append(median_time(
                lambda: render.render_pixels(generator, z, size, size, 8.0, method=method, stats=stats), repeats))
            if method == "adaptive":
                shares.append(stats["evaluated"] / stats["pixels"])
    dense = float(np.median(times["dense"]))
    print(f"7. {size}×{size} stills to file pixels, {seeds} seeds: dense {dense:.3f} s; " + ", ".join(
        f"{m} {np.median(times[m]):.3f} s ({dense / np.median(times[m]):.2f}× faster)" for m in ("adaptive", "auto"))
        + f"; per-seed speed-up of adaptive {np.min(np.divide(times['dense'], times['adaptive'])):.2f}× to "
        f"{np.max(np.divide(times['dense'], times['adaptive'])):.2f}×; the network evaluated "
        f"{np.median(shares):.1%} of the pixels (median; {min(shares):.1%} to {max(shares):.1%})")


def render_once(size, method, rows):
    """Child process: render_pixels of the shipped model, a size×size still → prints seconds and share evaluated.

    With `rows`, dense renders only the first `rows` rows (its time grows exactly
    with the rows) into a whole image's pixels, touched first, so that its peak
    memory is the whole render's.
    """
    model, _, _ = load_trained(os.path.join(ROOT, "save"))
    generator = model.generator
    z = np.random.default_rng(1).normal(size=(1, model.z_dim)).astype(np.float32)
    render.render_pixels(generator, z, 64, 64, 8.0, method=method)  # traces outside the timing
    stats = {}
    start = time.perf_counter()
    if rows:
        pixels = np.empty((size, size), np.uint8)
        pixels.fill(255)
        for band, floats in render._bands(generator, z, size, size, 8.0, None, 0, rows):
            pixels[band] = render._file_pixels(floats)[0, ..., 0]
        stats = {"evaluated": rows * size, "pixels": rows * size}
    else:
        render.render_pixels(generator, z, size, size, 8.0, method=method, stats=stats)
    print("seconds", time.perf_counter() - start, "share", stats["evaluated"] / stats["pixels"])


def poster_figures(sizes, dense_rows):
    """Dense and adaptive posters, each in its own process: time and peak RSS (dense timed on `dense_rows` rows)."""
    for size in sizes:
        figures = {}
        for method in ("dense", "adaptive"):
            rows = dense_rows if method == "dense" and dense_rows and dense_rows < size else 0
            rss, _, output = run_measured(os.path.abspath(__file__), "--render-once", size, method, rows)
            words = output.split()
            seconds = float(words[words.index("seconds") + 1]) * (size / rows if rows else 1)
            figures[method] = (rss, seconds, float(words[words.index("share") + 1]), rows)
        (d_rss, d_s, _, d_rows), (a_rss, a_s, share, _) = figures["dense"], figures["adaptive"]
        timed = f" (timed on its first {d_rows} rows, × {size / d_rows:g})" if d_rows else ""
        print(f"9. {size}×{size} poster to file pixels, each in its own process: dense {d_s:.1f} s{timed}, "
              f"adaptive {a_s:.1f} s = {d_s / a_s:.2f}× faster, network on {share:.2%} of the pixels; "
              f"peak RSS dense {d_rss:.0f} MB, adaptive {a_rss:.0f} MB; its uint8 pixels {size * size / 2**20:.0f} MB",
              flush=True)


# Runs a script and reports its peak RSS from /proc (Linux). A child's own
# ru_maxrss would also count the parent pages it shared before exec.
PEAK_RSS_LAUNCHER = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
    code = 0
except SystemExit as exit:
    code = exit.code
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
print("peak RSS kB", peak, file=sys.stderr)
sys.exit(code)
"""


def run_measured(script, *args):
    """Run `python script args…` in its own process → (peak RSS in MB, seconds, its stdout); raises if it fails."""
    command = [sys.executable, "-c", PEAK_RSS_LAUNCHER, script, *map(str, args)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(map(str, args))} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    peak_kb = int(result.stderr.rsplit("peak RSS kB", 1)[1].split()[0])
    return peak_kb / 1024, seconds, result.stdout


def run_with_peak_rss(script, *args):
    """Run `python script args…` in its own process → (peak RSS in MB, seconds); raises if it fails."""
    return run_measured(script, *args)[:2]


def peak_rss(size, folder):
    """Peak RSS (MB) and wall time of `sampler.py sample` writing one size×size PNG, in its own process."""
    out = os.path.join(folder, f"still-{size}.png")
    figures = run_with_peak_rss(os.path.join(ROOT, "sampler.py"), "sample", "--n", 1, "--size", size, "--seed", 1,
                                "--out", out)
    os.remove(out)
    return figures


def training_figures(batches, peak):
    """partial_train at batch 500 on real digits when ../shared/mnist is there (random strokes otherwise)."""
    model, _, _ = load_trained(os.path.join(ROOT, "save"), batch_size=500)
    model.compile()
    try:
        from mnist_data import read_data_sets

        data = read_data_sets(os.path.join(ROOT, "..", "shared", "mnist"), split="t10k", seed=0)
        source = "t10k digits"
    except Exception:  # the benchmark measures speed; random data still exercises every step
        data, source = None, "random images"
    optimizers = (model.vae_optimizer, model.g_optimizer, model.d_optimizer)
    times, steps = [], []
    for i in range(batches + 1):
        batch = data.next_batch(500) if data else np.random.rand(500, 26, 26, 1)
        before = [int(o.iterations) for o in optimizers]
        start = time.perf_counter()
        model.partial_train(batch)
        if i:  # the first batch compiles
            times.append(time.perf_counter() - start)
            steps.append([int(o.iterations) - b for o, b in zip(optimizers, before)])
    seconds = np.asarray(times)
    flops = np.asarray([training_flops(model, s) for s in steps])
    gflops = float(np.median(flops / seconds)) / 1e9
    mean_steps = np.mean(steps, axis=0)
    print(f"5. partial_train, batch 500 ({source}, {batches} batches, vae/g/d steps per batch "
          f"{mean_steps[0]:.1f}/{mean_steps[1]:.1f}/{mean_steps[2]:.1f}): {np.median(seconds):.2f} s per batch, "
          f"{500 / np.median(seconds):.0f} images/s, {gflops:.1f} GFLOP/s = {gflops / peak:.0%} of the GEMM peak")


def step_figures(repeats, quick):
    """Each system's costliest optimizer step at its post's batch size, as the rule runs it (a
    tf.function) and compiled by XLA (`jit_compile=True`), interleaved so that load slows both alike."""
    from run_folder import system_class
    from train import model_settings

    systems = (("cppnvae", 1, "g_step"), ("cppnvae", 3, "g_step"), ("resnet", 1, "g_step"),
               ("wgan-gp", 1, "critic_step"), ("wgan-gp", 1, "generator_step"))
    rng = np.random.default_rng(0)
    for system, c_dim, step_name in systems:
        flags = argparse.Namespace(x_dim=None, batch_size=50 if quick and system != "wgan-gp" else None)
        model = system_class(system)(**model_settings(flags, system, c_dim, 10 if system == "resnet" else 1), seed=0)
        model.compile()
        x = tf.constant(rng.random((model.batch_size, model.y_dim, model.x_dim, c_dim), dtype=np.float32))
        batch = (x, tf.constant(rng.integers(0, 10, model.batch_size))) if system == "resnet" else x
        args = (batch, 0) if step_name == "critic_step" else (batch,)
        step = getattr(model, step_name)
        variants = {"tf.function": tf.function(lambda: step(*args)),
                    "XLA": tf.function(lambda: step(*args), jit_compile=True)}
        plain, xla = interleaved_medians(variants, repeats).values()
        label = f"{system}{' colour' if c_dim == 3 else ''} {step_name}, batch {model.batch_size}"
        print(f"10. {label}: {plain:.3f} s as trained, {xla:.3f} s under XLA (XLA ÷ as trained {xla / plain:.2f})")


def animation_figures(generator, size, frames_per_transition, measured):
    """The 0→9 loop to file pixels: dense (whole transitions per call and one frame per call), adaptive and auto,
    timed on the first `measured` frames of its first transition and extrapolated to its 10 transitions."""
    rng = np.random.default_rng(0)
    zs = rng.normal(size=(10, generator.z_dim)).astype(np.float32)
    t = np.sin(np.arange(frames_per_transition) / frames_per_transition * np.pi / 2)[:, None].astype(np.float32)
    frames = (zs[0] + (zs[1] - zs[0]) * t)[:measured]

    def part(frames_per_call, method="dense"):
        for i in range(0, len(frames), frames_per_call):
            render.render_pixels(generator, frames[i:i + frames_per_call], size, size, 8.0, method=method)

    scale_up = 10 * frames_per_transition / measured
    batched, single, adaptive, auto = (scale_up * median_time(function, 1) for function in (
        lambda: part(measured), lambda: part(1), lambda: part(measured, "adaptive"), lambda: part(measured, "auto")))
    dense = min(batched, single)
    print(f"6. 0→9 animation, {10 * frames_per_transition} frames at {size}×{size} (timed on {measured} frames, "
          f"× {scale_up:g}): dense {dense:.1f} s ({dense / (10 * frames_per_transition):.2f} s per frame; "
          f"{measured} frames per call {batched:.1f} s, 1 frame per call {single:.1f} s), adaptive {adaptive:.1f} s "
          f"({dense / adaptive:.2f}× faster), auto {auto:.1f} s ({dense / auto:.2f}× faster)", flush=True)


SECTIONS = ("render", "stills", "training", "steps", "adaptive", "posters", "animation", "errors")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: checks the script, not the machine")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    p.add_argument("--seeds", type=int, default=None, help="seeds of the error figures (default 100; quick: 3)")
    p.add_argument("--adaptive-art-seeds", type=int, default=10,
                   help="of those, how many also measure forced adaptive on art (auto measures them all)")
    p.add_argument("--dense-rows", type=int, default=2048,
                   help="time the dense 16384² poster on this many rows and scale up (0: whole image)")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats of each render (median)")
    p.add_argument("--frames", type=int, default=24, help="animation frames timed (of 240), then extrapolated")
    p.add_argument("--render-once", nargs=3, metavar=("SIZE", "METHOD", "ROWS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.render_once:
        return render_once(int(args.render_once[0]), args.render_once[1], int(args.render_once[2]))
    sections = set(args.only.split(","))
    if sections - set(SECTIONS):
        p.error(f"unknown sections {', '.join(sorted(sections - set(SECTIONS)))}; choose from {', '.join(SECTIONS)}")
    size = 256 if args.quick else 1080
    still_sizes = (512, 1024) if args.quick else (4096, 8192)
    print(f"TensorFlow {tf.__version__}, devices: {', '.join(d.device_type for d in tf.config.list_logical_devices())}, "
          f"{os.cpu_count()} CPU cores")
    peak = gemm_peak(1024 if args.quick else 4096)
    print(f"1. fp32 GEMM peak ({'1024' if args.quick else '4096'}²): {peak:.1f} GFLOP/s")
    model, _, _ = load_trained(os.path.join(ROOT, "save"))
    if "render" in sections:
        render_figures(model.generator, size, 3 if args.quick else args.repeats, peak)
    if "stills" in sections:
        with tempfile.TemporaryDirectory() as folder:
            for side in still_sizes:
                rss, seconds = peak_rss(side, folder)
                print(f"4. {side}×{side} still (sampler.py sample, its own process): peak RSS {rss:.0f} MB, "
                      f"{seconds:.0f} s; its uint8 pixels are {side * side / 2**20:.0f} MB")
    if "training" in sections:
        training_figures(2 if args.quick else 6, peak)
    if "steps" in sections:
        step_figures(2 if args.quick else args.repeats, args.quick)
    if "adaptive" in sections:
        adaptive_figures(model.generator, size, 3 if args.quick else 5, 1 if args.quick else args.repeats)
    if "posters" in sections:
        poster_figures((1024, 2048) if args.quick else (4096, 16384), 0 if args.quick else args.dense_rows)
    if "animation" in sections:
        animation_figures(model.generator, size, 4 if args.quick else 24, 4 if args.quick else args.frames)
    if "errors" in sections:
        error_figures(model.generator, args.seeds or (3 if args.quick else 100), 256 if args.quick else 1080,
                      args.adaptive_art_seeds)


if __name__ == "__main__":
    main()
