"""Rendering in bounded memory: bands equal the whole image, no retracing, bounded RSS for a large still;
adaptive rendering within one ink level of dense, and auto falling back to dense where it must."""

import os
import sys

import imageio.v3 as iio
import keras
import numpy as np
import pytest
import tensorflow as tf

import render
from conftest import ROOT
from cppn import CPPN
from model import CPPNVAE
from ops import coordinates


def _budget_for_rows(generator, rows, x_dim, batch=1):
    """The memory_mb whose bands hold `rows` rows of `batch` images `x_dim` wide."""
    return batch * x_dim * rows * render.LIVE_ACTIVATIONS * 4 * generator.net_size / 2**20


@pytest.mark.parametrize("rows", [1, 3, 7])
def test_bands_equal_the_whole_image_in_one_call(rows):
    generator = CPPNVAE().generator
    z = np.random.default_rng(0).normal(size=(2, 32)).astype(np.float32)
    whole = generator(z, coordinates(37, 23, 8.0), scale=8.0).numpy().reshape(2, 23, 37, 1)
    banded = render.render(generator, z, 37, 23, 8.0, memory_mb=_budget_for_rows(generator, rows, 37, batch=2))
    np.testing.assert_allclose(banded, whole, atol=1e-6)


def test_pixels_are_the_floats_as_saved_for_grey_and_colour():
    for model in (CPPNVAE(), CPPN(c_dim=3, net_size=16)):
        z = np.random.default_rng(1).normal(size=(1, model.z_dim))
        memory = _budget_for_rows(model.generator, 2, 30)
        floats = render.render(model.generator, z, 30, 20, 8.0)
        pixels = render.render_pixels(model.generator, z, 30, 20, 8.0, memory_mb=memory)
        assert pixels.dtype == np.uint8
        np.testing.assert_array_equal(pixels[0], render.to_uint8(floats[0]))


def test_a_new_size_or_batch_does_not_retrace():
    generator = CPPNVAE().generator
    z = np.zeros((1, 32), np.float32)
    render.render(generator, z, 26, 26, 8.0)
    traces = generator.draw.experimental_get_tracing_count()
    for x_dim, y_dim, batch, memory in ((300, 200, 1, None), (17, 911, 3, None), (64, 64, 2, 0.1)):
        render.render(generator, np.zeros((batch, 32), np.float32), x_dim, y_dim, 8.0, memory_mb=memory)
    assert generator.draw.experimental_get_tracing_count() == traces


@pytest.mark.parametrize("memory", [0, -5, "big", True])
def test_a_bad_memory_budget_is_a_clear_error(memory):
    with pytest.raises(ValueError, match="memory_mb must be a positive number"):
        render.chunk_pixels(128, memory)


def test_a_4096_still_renders_in_bounded_memory(tmp_path):
    """The CLI as a user runs it, in its own process: its peak RSS stays far below the whole image's activations."""
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from bench import run_with_peak_rss

    out = tmp_path / "big.png"
    peak_mb, _ = run_with_peak_rss(os.path.join(ROOT, "sampler.py"), "sample", "--n", 1, "--size", 4096,
                                   "--seed", 1, "--memory", 64, "--out", out)
    # TensorFlow alone takes about 600 MB; one call on the whole image would hold 4096² × 128 floats per layer: 8 GB.
    assert peak_mb < 1024, f"peak RSS {peak_mb:.0f} MB"
    image = iio.imread(out)
    assert image.shape == (4096, 4096) and image.dtype == np.uint8
    assert image.min() < 64 and image.max() > 250  # ink on white: a digit, not a blank page


# --------------------------------------------------------------------------- adaptive rendering

INK_LEVEL = 1.0 / 255  # the largest difference from the dense render allowed: one level of a file pixel


@pytest.fixture(scope="module")
def shipped():
    """The shipped digit model's generator: the smooth pictures adaptive rendering is made for."""
    from run_folder import load_trained

    return load_trained(os.path.join(ROOT, "save"))[0].generator


class Picture:
    """A stand-in generator whose picture is `ink(x, y)` in coordinate space (numpy), to draw exact test shapes."""

    z_dim, net_size = 1, 8

    def __init__(self, *inks):
        self.inks, self.c_dim = inks, len(inks)

    def draw(self, z, coords, scale):
        x, y = coords[:, 0].astype(np.float64), coords[:, 1].astype(np.float64)
        channels = np.stack([ink(x, y) for ink in self.inks], axis=-1)
        return tf.constant(np.broadcast_to(channels, (len(z), *channels.shape)).astype(np.float32))


def _ring(radius, width):
    """A gaussian ring of ink, `width` its standard deviation (coordinate units)."""
    return lambda x, y: np.exp(-(((np.hypot(x, y) - radius) / width) ** 2))


def _dot(cx, cy, radius, edge):
    """A filled disc with a soft edge of `edge` (coordinate units)."""
    return lambda x, y: 0.5 * (1.0 - np.tanh((np.hypot(x - cx, y - cy) - radius) / edge))


def _against_dense(generator, z, x_dim, y_dim, scale, method, **kwargs):
    """(images, dense images, stats) of one render with `method`, after checking it stays within one ink level."""
    stats = {}
    dense = render.render(generator, z, x_dim, y_dim, scale, **kwargs)
    images = render.render(generator, z, x_dim, y_dim, scale, method=method, stats=stats, **kwargs)
    assert images.shape == dense.shape and images.dtype == np.float32
    error = np.abs(images - dense).max()
    assert error <= INK_LEVEL, f"{method} {x_dim}×{y_dim}: {error * 255:.2f} levels from dense"
    return images, dense, stats


@pytest.mark.parametrize("x_dim,y_dim", [(1, 1), (1, 37), (37, 1), (2, 3), (97, 89), (131, 1), (1, 257), (211, 223)])
def test_the_adaptive_lattice_has_the_dense_coordinates_bit_for_bit(x_dim, y_dim):
    dense = coordinates(x_dim, y_dim, 8.0)
    rows, columns = np.divmod(np.arange(x_dim * y_dim), x_dim)
    x, y = render.axis_positions(columns, x_dim, 8.0), render.axis_positions(rows, y_dim, 8.0)
    np.testing.assert_array_equal(np.stack([x, y, np.sqrt(x * x + y * y)], axis=1), dense)


def test_adaptive_equals_dense_on_many_digits_and_sizes(shipped):
    rng = np.random.default_rng(17)
    sizes = [(300, 300), (257, 263), (401, 199), (199, 401), (320, 240), (283, 283)]
    evaluated = pixels = 0
    for seed in range(12):
        z = rng.normal(size=(1, shipped.z_dim)).astype(np.float32)
        x_dim, y_dim = sizes[seed % len(sizes)]
        _, _, stats = _against_dense(shipped, z, x_dim, y_dim, 8.0, "adaptive")
        evaluated, pixels = evaluated + stats["evaluated"], pixels + stats["pixels"]
    assert evaluated < 0.6 * pixels  # it skipped most of the work, or this test proves nothing


def test_adaptive_file_pixels_are_within_one_level(shipped):
    z = np.random.default_rng(3).normal(size=(2, shipped.z_dim)).astype(np.float32)
    dense = render.render_pixels(shipped, z, 241, 251, 8.0)
    pixels = render.render_pixels(shipped, z, 241, 251, 8.0, method="adaptive")
    assert pixels.dtype == np.uint8 and pixels.shape == dense.shape == (2, 251, 241)
    assert np.abs(pixels.astype(int) - dense).max() <= 1


@pytest.mark.parametrize("x_dim,y_dim", [(1, 1), (1, 37), (37, 1), (2, 3), (97, 89), (131, 1), (1, 257)])
def test_adaptive_renders_odd_sizes_and_batches(shipped, x_dim, y_dim):
    z = np.random.default_rng(x_dim * y_dim).normal(size=(3, shipped.z_dim)).astype(np.float32)
    images, _, _ = _against_dense(shipped, z, x_dim, y_dim, 8.0, "adaptive")
    alone = render.render(shipped, z[1], x_dim, y_dim, 8.0, method="adaptive")
    np.testing.assert_allclose(images[1:2], alone, atol=1e-6)  # each image of a batch as if drawn alone


def test_adaptive_bands_meet_across_their_edges(shipped):
    """A tiny memory budget cuts the image into many bands with halos: still the dense picture, still adaptive."""
    z = np.random.default_rng(5).normal(size=(1, shipped.z_dim)).astype(np.float32)
    _, _, stats = _against_dense(shipped, z, 330, 310, 8.0, "adaptive", memory_mb=0.25)
    assert stats["evaluated"] < 0.8 * stats["pixels"]


def test_adaptive_draws_thin_strokes_small_dots_and_colour():
    """Shapes a few pixels across, off the lattice, in three channels: no detail missed."""
    pixel = 16.0 / 599  # the spacing of 600 pixels at scale 8
    picture = Picture(_ring(5.0, 1.5 * pixel), _dot(1.234, -2.345, 6 * pixel, 0.3 * pixel),
                      _dot(-3.21, 0.123, 8 * pixel, 0.3 * pixel))
    _, _, stats = _against_dense(picture, np.zeros((1, 1), np.float32), 600, 600, 8.0, "adaptive")
    assert stats["evaluated"] < 0.3 * stats["pixels"]
    pixels = render.render_pixels(picture, np.zeros((1, 1)), 600, 600, 8.0, method="adaptive")
    assert pixels.shape == (1, 600, 600, 3)


@pytest.mark.parametrize("offset", np.linspace(0.0, 0.3, 7))
def test_a_dot_as_small_as_the_lattice_guarantees_is_found_wherever_it_lies(offset):
    """A disc of radius (coarse tile / 2) / √2 holds a check sample wherever it lies; the sharp dot here is just larger."""
    side = render.coarse_tile(600, 600, 8.0)
    pixel = 16.0 / 599
    radius = (side / 2 / np.sqrt(2) + 0.4) * pixel
    picture = Picture(_dot(1.234 + offset, -2.345 + offset / 3, radius, 0.3 * pixel))
    _against_dense(picture, np.zeros((1, 1), np.float32), 600, 600, 8.0, "adaptive")


@pytest.mark.parametrize("ink", [_ring(5.0, 0.5 * 16.0 / 599), lambda x, y: 0.5 + 0.5 * np.sin(40 * x + 13 * y)],
                         ids=["hair-thin ring", "stripes"])
def test_auto_renders_dense_where_the_picture_is_finer_than_its_lattice(ink):
    _, _, stats = _against_dense(Picture(ink), np.zeros((1, 1), np.float32), 600, 600, 8.0, "auto")
    assert stats["dense_bands"] >= 1


@pytest.mark.parametrize("architecture", ["frog", "sinusoid"])
def test_auto_renders_sharp_random_art_dense(architecture):
    """Random-weight art with hard edges (relu kinks, fast sines) at the art defaults: auto sees it, renders dense."""
    keras.utils.set_random_seed(1)
    generator = CPPN(z_dim=8, net_size=32, architecture=architecture).generator
    z = np.random.default_rng(1).uniform(-1.0, 1.0, size=(1, 8)).astype(np.float32)
    _, _, stats = _against_dense(generator, z, 540, 530, 10.0, "auto")
    assert stats["dense_bands"] >= 1


def test_auto_stays_adaptive_on_a_smooth_digit(shipped):
    z = np.random.default_rng(2).normal(size=(1, shipped.z_dim)).astype(np.float32)
    _, _, stats = _against_dense(shipped, z, 720, 720, 8.0, "auto")
    assert stats["dense_bands"] == 0 and stats["evaluated"] < 0.5 * stats["pixels"]


def test_auto_renders_small_images_dense(shipped):
    stats = {}
    render.render(shipped, np.zeros((1, shipped.z_dim)), 64, 64, 8.0, method="auto", stats=stats)
    assert stats["evaluated"] == stats["pixels"] == 64 * 64


def test_adaptive_does_not_retrace(shipped):
    z = np.zeros((1, shipped.z_dim), np.float32)
    render.render(shipped, z, 64, 64, 8.0, method="adaptive")
    traces = shipped.draw.experimental_get_tracing_count()
    for x_dim, y_dim in ((300, 200), (17, 311), (1, 1)):
        render.render(shipped, z, x_dim, y_dim, 8.0, method="adaptive")
    assert shipped.draw.experimental_get_tracing_count() == traces


def test_an_unknown_method_is_a_clear_error(shipped):
    with pytest.raises(ValueError, match="method must be one of dense, adaptive, auto"):
        render.render(shipped, np.zeros((1, shipped.z_dim)), 8, 8, 8.0, method="fast")
