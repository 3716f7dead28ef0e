"""Rendering in bounded memory: bands equal the whole image, no retracing, bounded RSS for a large still."""

import os
import sys

import imageio.v3 as iio
import numpy as np
import pytest

import render
from conftest import ROOT
from model import CPPN, CPPNVAE
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
