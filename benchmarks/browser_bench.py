"""How fast and how exactly the browser explorer draws, in Debian's headless Chromium (no GPU: WebGL is SwiftShader).

    python benchmarks/browser_bench.py            # engines at 256×256, the 1080×1080 still, pixels over 20+20 seeds
    python benchmarks/browser_bench.py --quick    # fewer repeats and seeds, to check it works

Prints, for the shipped model (save/): a 256×256 redraw with each engine
(TensorFlow.js' WebAssembly backend, the WebGL2 shader, plain JavaScript;
median of repeats), the 1080×1080 still drawn in 512×512 tiles as "download
PNG" does, Python's own render of both sizes in this process as the
baseline, and the largest difference between the canvas and
`Sampler.generate`'s file pixels over many random z (trained model) and
many art seeds (architectures and colour in turn). The targets (256×256
≤ 200 ms, 1080×1080 ≤ 5 s) are reported, never asserted.
"""

import argparse
import base64
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import explorer  # noqa: E402

ENGINES = ("tfjs", "webgl2", "js")
ART = [("tanh", 1), ("sinusoid", 3), ("frog", 3), ("residual", 1), ("relu_tanh", 3), ("sqrt_abs_tanh", 1),
       ("softplus_tanh", 3), ("resnet", 3)]
COMPARE_SIZE = 64


def median_ms(function, repeats):
    function()  # warm-up: compilation, first allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def open_page(page, url, query):
    page.goto(f"{url}?{query}")
    page.wait_for_function("['ready', 'error'].includes(document.body.dataset.state)", timeout=120_000)
    if page.evaluate("document.body.dataset.state") != "ready":
        raise SystemExit(f"the page failed: {page.inner_text('#error')}")


def canvas(page, size):
    pixels = np.frombuffer(base64.b64decode(page.evaluate("explorer.pixels()")), np.uint8)
    return pixels.reshape(size, size, 4)[..., :3].astype(int)


def python_pixels(sampler, z, scale, size):
    from render import to_uint8

    pixels = to_uint8(sampler.generate(z[None], size, size, scale), sampler.invert).astype(int)
    return np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels


def draw(page, z, scale):
    page.evaluate("([z, s]) => { explorer.setZ(z); explorer.setScale(s); explorer.drawNow(); }", [z.tolist(), scale])


def speed(page, url, repeats, sampler):
    rows = []
    for engine in ENGINES:
        open_page(page, url, f"engine={engine}&size=256")
        ms = median_ms(lambda: page.evaluate("explorer.drawNow()"), repeats)
        rows.append((f"256×256 redraw, {engine}", ms))
    open_page(page, url, "size=64")
    engine = page.evaluate("explorer.state.engine")
    ms = median_ms(lambda: page.evaluate("explorer.renderPicture(1080, 1080)"), max(1, repeats // 2))
    rows.append((f"1080×1080 still in 512×512 tiles, {engine} (the page's choice here)", ms))
    z = sampler.generate_z()[0]
    for size in (256, 1080):
        ms = median_ms(lambda: sampler.generate(z[None], size, size, 8.0), repeats)
        rows.append((f"{size}×{size}, Python (Sampler.generate, TensorFlow, this process)", ms))
    return rows


def exactness(page, url, trained, n_seeds, engines):
    """Largest |canvas - Python| over n_seeds random z per engine (trained) and n_seeds art seeds (tfjs)."""
    from sampler import Sampler

    size = COMPARE_SIZE
    results = []
    rng = np.random.default_rng(2026)
    for engine in engines:
        open_page(page, url, f"engine={engine}&size={size}")
        worst = 0
        for _ in range(n_seeds):
            z = rng.normal(size=trained.z_dim).astype(np.float32)
            scale = float(rng.uniform(1.0, 24.0))
            draw(page, z, scale)
            worst = max(worst, np.abs(canvas(page, size) - python_pixels(trained, z, scale, size)).max())
        results.append((f"trained model, {engine}, {n_seeds} random z and scales at {size}×{size}", worst))
    open_page(page, url, f"size={size}")
    page.click("#mode-art")
    worst = 0
    for seed in range(n_seeds):
        architecture, c_dim = ART[seed % len(ART)]
        page.evaluate("([seed, architecture, colour]) => { document.getElementById('seed').value = seed; "
                      "document.getElementById('architecture').value = architecture; "
                      "document.getElementById('colour').checked = colour; "
                      "document.getElementById('seed').dispatchEvent(new Event('change')); }",
                      [seed, architecture, c_dim == 3])
        name = f"s{seed}-{architecture}-c{c_dim}-z8-n32"
        page.wait_for_function(f"explorer.state.model && explorer.state.model.json.name === '{name}'")
        sampler = Sampler(z_dim=8, c_dim=c_dim, scale=10.0, net_size=32, architecture=architecture, seed=seed)
        z = sampler.generate_z()[0]
        draw(page, z, 10.0)
        worst = max(worst, np.abs(canvas(page, size) - python_pixels(sampler, z, 10.0, size)).max())
    results.append((f"art, {page.evaluate('explorer.state.engine')}, seeds 0-{n_seeds - 1} over "
                    f"{min(n_seeds, len(ART))} architecture/colour pairs at {size}×{size}", worst))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and seeds")
    parser.add_argument("--model-dir", default=os.path.join(ROOT, "save"))
    args = parser.parse_args()
    repeats, n_seeds = (2, 4) if args.quick else (5, 20)

    from playwright.sync_api import sync_playwright

    from sampler import Sampler

    trained = Sampler(model_dir=args.model_dir, seed=0)
    server = explorer.make_server(explorer.export_trained(args.model_dir), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = explorer.server_address(server)
    profile = tempfile.mkdtemp(prefix="explorer-bench-")
    try:
        with sync_playwright() as playwright:
            context = explorer.launch_chromium(playwright, profile)
            page = context.new_page()
            print(f"Chromium {context.browser.version if context.browser else ''}, "
                  f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}", flush=True)
            for label, ms in speed(page, url, repeats, trained):
                print(f"{ms:10.0f} ms  {label}", flush=True)
            engines = ENGINES if not args.quick else ("tfjs",)
            for label, worst in exactness(page, url, trained, n_seeds, engines):
                print(f"{worst:7d}/255  max |canvas - Python|, {label}", flush=True)
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            context.close()
    finally:
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
