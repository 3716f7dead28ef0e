"""The browser explorer (explorer.py, web/) driven in real headless Chromium: its pixels against Python's.

Needs Debian's chromium and the playwright package (the README's test
command installs both); without them these tests fail, they do not skip.
Set EXPLORER_SCREENSHOT=docs/explorer.png to keep the page's screenshot.
"""

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

from conftest import ROOT, SHARED_MNIST, digit_like, write_split

import explorer

SAVE = os.path.join(ROOT, "save")
SIZE = 64  # drawn and compared pixels per side (the benchmark measures speed at 256 and 1080)
TOLERANCE = 2  # of 255


@pytest.fixture(scope="module")
def trained_export(tmp_path_factory):
    """The shipped model with its held-out digits (../shared/mnist), or made-up digits where that is missing."""
    if os.path.isdir(SHARED_MNIST):
        return explorer.export_trained(SAVE)
    folder = tmp_path_factory.mktemp("digits")
    write_split(folder, "train", *digit_like(20))
    return explorer.export_trained(SAVE, data_dir=str(folder), split="train")


@pytest.fixture(scope="module")
def url(trained_export):
    server = explorer.make_server(trained_export, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield explorer.server_address(server)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(explorer.CHROMIUM):
        pytest.fail(f"no Chromium at {explorer.CHROMIUM}: `apt-get install -y chromium` (the README's test command does)")
    profile = tempfile.mkdtemp(prefix="explorer-chromium-")
    with sync_playwright() as playwright:
        context = explorer.launch_chromium(playwright, profile)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert not errors, errors


def open_page(page, url, query=""):
    page.goto(f"{url}?size={SIZE}{query}")
    page.wait_for_function("document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'")
    assert page.evaluate("document.body.dataset.state") == "ready", page.inner_text("#error")


def redrawn(page, before):
    """Wait for a draw after render number `before` → the canvas as [size, size, 3] uint8 and the z it drew."""
    page.wait_for_function(f"explorer.state.renders > {before}")
    pixels = np.frombuffer(base64.b64decode(page.evaluate("explorer.pixels()")), np.uint8)
    return pixels.reshape(SIZE, SIZE, 4)[..., :3], np.array(page.evaluate("explorer.state.z"), np.float32)


def renders(page):
    return page.evaluate("explorer.state.renders")


def to_file_pixels(sampler, image):
    """A `Sampler.generate` image as the file pixels Python writes, grey as RGB."""
    from render import to_uint8

    pixels = to_uint8(image, sampler.invert)
    return np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels


def python_pixels(sampler, z, scale):
    return to_file_pixels(sampler, sampler.generate(z[None], SIZE, SIZE, scale))


def assert_matches(canvas, sampler, z, scale):
    expected = python_pixels(sampler, z, scale).astype(int)
    difference = np.abs(canvas.astype(int) - expected).max()
    assert difference <= TOLERANCE, f"canvas differs from Python's render by {difference}/255"
    assert expected.std() > 0, "a flat picture proves little"  # the comparison saw a real picture
    return difference


@pytest.fixture(scope="module")
def trained_sampler():
    from sampler import Sampler

    return Sampler(model_dir=SAVE, seed=0)


def test_trained_model_slider_and_digit_button_match_python(page, url, trained_export, trained_sampler, tmp_path):
    open_page(page, url)
    scale = page.evaluate("explorer.state.scale")
    assert scale == 8.0
    # Move a latent slider.
    before = renders(page)
    page.locator("#z3").fill("1.5")
    canvas, z = redrawn(page, before)
    assert z[3] == pytest.approx(1.5)
    assert_matches(canvas, trained_sampler, z, scale)
    # Press a digit button: z becomes that held-out digit's encoding.
    before = renders(page)
    page.click("#digit-3")
    canvas, z = redrawn(page, before)
    np.testing.assert_allclose(z, trained_export["digits"]["z"]["3"], rtol=1e-6)
    assert_matches(canvas, trained_sampler, z, scale)
    page.screenshot(path=str(tmp_path / "explorer.png"))
    keep = os.environ.get("EXPLORER_SCREENSHOT")
    if keep:
        page.set_viewport_size({"width": 1100, "height": 760})
        page.select_option("#size", "256")
        page.wait_for_function("explorer.state.size === 256 && explorer.state.lastMs !== null")
        page.wait_for_timeout(500)
        page.screenshot(path=keep)


@pytest.mark.parametrize("engine", ["tfjs", "webgl2", "js"])
def test_every_engine_draws_python_pixels_for_random_z(page, url, trained_sampler, engine):
    open_page(page, url, f"&engine={engine}")
    assert page.evaluate("explorer.state.engine") == engine
    rng = np.random.default_rng(7)
    for _ in range(2):
        z = rng.normal(size=trained_sampler.z_dim).astype(np.float32)
        scale = float(rng.uniform(2.0, 20.0))
        before = renders(page)
        page.evaluate("([z, s]) => { explorer.setScale(s); explorer.setZ(z); }", [z.tolist(), scale])
        canvas, drawn = redrawn(page, before)
        np.testing.assert_array_equal(drawn, z)
        assert_matches(canvas, trained_sampler, z, scale)


@pytest.mark.parametrize("architecture, colour", [("sinusoid", True), ("resnet", True), ("frog", False)])
def test_art_mode_reproduces_python_random_weights(page, url, architecture, colour):
    from sampler import Sampler

    open_page(page, url)
    page.click("#mode-art")
    page.fill("#seed", "5")
    page.dispatch_event("#seed", "change")
    page.select_option("#architecture", architecture)
    if colour:
        page.check("#colour")
    name = f"s5-{architecture}-c{3 if colour else 1}-z8-n32"
    page.wait_for_function(f"explorer.state.model && explorer.state.model.json.name === '{name}'")
    before = renders(page)
    page.click("#random")
    canvas, z = redrawn(page, before)
    assert np.abs(z).max() <= 1.0  # art latents are uniform(-1, 1)
    sampler = Sampler(z_dim=8, c_dim=3 if colour else 1, scale=10.0, net_size=32, architecture=architecture, seed=5)
    assert_matches(canvas, sampler, z, page.evaluate("explorer.state.scale"))


def test_download_png_is_drawn_in_tiles_and_morph_moves_between_a_and_b(page, url, trained_sampler, tmp_path):
    from PIL import Image

    open_page(page, url, "&tile=32")  # 70×50 in tiles of 32: whole and partial tiles
    z = page.evaluate("explorer.state.z")
    page.fill("#png-size", "70x50")
    with page.expect_download() as download:
        page.click("#download")
    path = tmp_path / "download.png"
    download.value.save_as(path)
    picture = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert picture.shape == (50, 70, 3)
    expected = to_file_pixels(trained_sampler, trained_sampler.generate(np.float32([z]), 70, 50, 8.0))
    assert np.abs(picture - expected).max() <= TOLERANCE
    # Morph: A is this z, B a random one; mid-animation z lies between them.
    page.click("#set-a")
    page.click("#random")
    page.click("#set-b")
    a, b = np.float32(z), np.float32(page.evaluate("explorer.state.z"))
    page.click("#morph")
    page.wait_for_timeout(700)
    page.click("#morph")  # stop
    now = np.float32(page.evaluate("explorer.state.z"))
    assert np.all(now >= np.minimum(a, b) - 1e-5) and np.all(now <= np.maximum(a, b) + 1e-5)
    assert not np.allclose(now, a) and not np.allclose(now, b)


def test_a_generator_without_radius_or_z_scaling_draws_python_pixels(page, browser, tmp_path):
    """System E's kind of generator (z unscaled) without the r input: flags the trained runs on disk do not cover."""
    try:
        from cppn import Generator
    except ImportError:
        from model import Generator
    from render import render, to_uint8

    generator = Generator(z_dim=5, c_dim=3, net_size=12, depth=3, architecture="softplus_tanh", stddev=1.0,
                          use_radius=False, scale_z=False)
    model = explorer.export_generator(generator, scale=6.0, prior="uniform", invert=False, name="custom",
                                      system="test", digits=None)
    server = explorer.make_server(model, port=0, make_art=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"{explorer.server_address(server)}?size={SIZE}")
        page.wait_for_function("document.body.dataset.state === 'ready'")
        z = np.float32([0.9, -0.4, 0.1, 0.7, -1.0])
        before = renders(page)
        page.evaluate("z => explorer.setZ(z)", z.tolist())
        canvas, _ = redrawn(page, before)
    finally:
        server.shutdown()
        server.server_close()
    expected = to_uint8(render(generator, z[None], SIZE, SIZE, 6.0), invert=False).astype(int)
    assert expected.std() > 0
    assert np.abs(canvas.astype(int) - expected).max() <= TOLERANCE


def test_random_z_comes_from_a_fitted_mixture_when_the_model_has_one(page):
    from cppn import Generator
    from latent_prior import GaussianMixture

    generator = Generator(z_dim=4, c_dim=1, net_size=8, depth=2, architecture="tanh")
    means = np.float64([[5.0, -5.0, 5.0, -5.0], [-3.0, 3.0, -3.0, 3.0]])
    mixture = GaussianMixture([0.5, 0.5], means, np.repeat(0.01 * np.eye(4)[None], 2, axis=0))
    model = explorer.export_generator(generator, prior="fitted", mixture=mixture, name="mixture", system="test",
                                      digits=None)
    server = explorer.make_server(model, port=0, make_art=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"{explorer.server_address(server)}?size=16")
        page.wait_for_function("document.body.dataset.state === 'ready'")
        draws = []
        for _ in range(6):
            page.click("#random")
            draws.append(page.evaluate("explorer.state.z"))
        slider_range = page.evaluate("document.getElementById('z0').max")
    finally:
        server.shutdown()
        server.server_close()
    nearest = np.min(np.abs(np.float64(draws)[:, None, :] - means[None]).max(axis=2), axis=1)
    assert np.all(nearest < 0.1), draws  # each z is one component's mean plus its small spread
    assert float(slider_range) == 3


def test_missing_export_shows_an_error_not_a_blank_page(page, url):
    page.goto(f"{url}?model=no-such-model.json")
    page.wait_for_function("document.body.dataset.state === 'error'")
    message = page.inner_text("#error")
    assert "no-such-model.json" in message and "404" in message


def run_explorer(*args):
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_serve_says_when_the_port_is_in_use(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_explorer("serve", "--export", str(tmp_path), "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_bad_model_folder_and_a_missing_export(tmp_path):
    result = run_explorer("serve", "--model-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    result = run_explorer("serve", "--export", str(tmp_path))
    assert result.returncode == 1 and "no model.json" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(explorer.ExplorerError, match="cannot load a trained model"):
        explorer.export_trained(str(tmp_path))  # a folder without a checkpoint


def test_export_web_writes_a_static_site(tmp_path):
    page = explorer.write_export(str(tmp_path), explorer.export_art(seed=2))
    assert os.path.exists(page)
    for name in ("model.json", "explorer.js", "cppn.js", "tfjs/tf-core.min.js", "tfjs/tfjs-backend-wasm-simd.wasm",
                 "art/s2-tanh-c1-z8-n32.json"):
        assert (tmp_path / name).exists(), name
