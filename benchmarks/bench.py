"""How close rendering and training come to this machine's limit: prints each figure with its baseline.

    python benchmarks/bench.py            # the full run (about 15 minutes on 2 CPU cores)
    python benchmarks/bench.py --quick    # smaller sizes, to check it works

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
from model import Generator, load_trained  # noqa: E402
from ops import coordinates  # noqa: E402


def median_time(function, repeats):
    """Median wall time of `function()` over `repeats` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


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


def run_with_peak_rss(script, *args):
    """Run `python script args…` in its own process → (peak RSS in MB, seconds); raises if it fails."""
    command = [sys.executable, "-c", PEAK_RSS_LAUNCHER, script, *map(str, args)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(map(str, args))} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    peak_kb = int(result.stderr.rsplit("peak RSS kB", 1)[1].split()[0])
    return peak_kb / 1024, seconds


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


def animation_figures(generator, size, frames_per_transition):
    """The 0→9 loop's 10 transitions, rendered to file pixels, whole transitions per call vs one frame per call."""
    rng = np.random.default_rng(0)
    zs = rng.normal(size=(10, generator.z_dim)).astype(np.float32)
    t = np.sin(np.arange(frames_per_transition) / frames_per_transition * np.pi / 2)[:, None].astype(np.float32)
    transitions = [zs[i] + (zs[(i + 1) % 10] - zs[i]) * t for i in range(10)]

    def one_transition(frames_per_call):
        z = transitions[0]
        for i in range(0, len(z), frames_per_call):
            render.render_pixels(generator, z[i:i + frames_per_call], size, size, 8.0)

    batched = median_time(lambda: one_transition(frames_per_transition), 1)
    single = median_time(lambda: one_transition(1), 1)
    best = frames_per_transition if batched <= single else 1
    start = time.perf_counter()
    for z in transitions:
        for i in range(0, len(z), best):
            render.render_pixels(generator, z[i:i + best], size, size, 8.0)
    total = time.perf_counter() - start
    print(f"6. 0→9 animation, {10 * frames_per_transition} frames at {size}×{size}: {total:.1f} s "
          f"({total / (10 * frames_per_transition):.2f} s per frame). One transition: "
          f"{frames_per_transition} frames per call {batched:.1f} s, 1 frame per call {single:.1f} s "
          f"({single / batched:.2f}×)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: checks the script, not the machine")
    args = p.parse_args(argv)
    size = 256 if args.quick else 1080
    still_sizes = (512, 1024) if args.quick else (4096, 8192, 16384)
    print(f"TensorFlow {tf.__version__}, devices: {', '.join(d.device_type for d in tf.config.list_logical_devices())}, "
          f"{os.cpu_count()} CPU cores")
    peak = gemm_peak(1024 if args.quick else 4096)
    print(f"1. fp32 GEMM peak ({'1024' if args.quick else '4096'}²): {peak:.1f} GFLOP/s")
    model, _, _ = load_trained(os.path.join(ROOT, "save"))
    render_figures(model.generator, size, 3 if args.quick else 7, peak)
    with tempfile.TemporaryDirectory() as folder:
        for side in still_sizes:
            rss, seconds = peak_rss(side, folder)
            print(f"4. {side}×{side} still (sampler.py sample, its own process): peak RSS {rss:.0f} MB, "
                  f"{seconds:.0f} s; its uint8 pixels are {side * side / 2**20:.0f} MB")
    training_figures(2 if args.quick else 6, peak)
    animation_figures(model.generator, size, 4 if args.quick else 24)


if __name__ == "__main__":
    main()
