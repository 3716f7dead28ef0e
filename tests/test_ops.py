"""Building blocks: the coordinate grid and the upstream initialisers."""

import numpy as np
import pytest
import tensorflow as tf

from model import CPPNVAE
from ops import BatchNorm, conv2d, coordinates, cppn_dense, linear


def reference_grid(x_dim, y_dim, scale):
    """REFERENCE.md's formula, written out pixel by pixel."""
    out = []
    for j in range(y_dim):
        for i in range(x_dim):
            x = scale * (i - (x_dim - 1) / 2) / (x_dim - 1) / 0.5
            y = scale * (j - (y_dim - 1) / 2) / (y_dim - 1) / 0.5
            out.append((x, y, np.sqrt(x * x + y * y)))
    return np.array(out)


@pytest.mark.parametrize("x_dim,y_dim,scale", [(26, 26, 8.0), (7, 4, 5.0), (30, 11, 10.0)])
def test_coordinates_follow_the_formula(x_dim, y_dim, scale):
    grid = coordinates(x_dim, y_dim, scale)
    assert grid.shape == (x_dim * y_dim, 3) and grid.dtype == np.float32
    np.testing.assert_allclose(grid, reference_grid(x_dim, y_dim, scale), rtol=1e-6, atol=1e-6)
    assert grid[:, 0].min() == pytest.approx(-scale) and grid[:, 0].max() == pytest.approx(scale)


def test_coordinate_rows_are_bands_of_the_full_grid():
    full = coordinates(9, 12, 3.0)
    np.testing.assert_array_equal(coordinates(9, 12, 3.0, rows=slice(4, 7)), full[4 * 9 : 7 * 9])


def test_single_pixel_axis_is_centred():
    assert np.all(coordinates(1, 1, 8.0) == 0)


def weights(layer, input_shape):
    layer.build(input_shape)
    return [w.numpy() for w in layer.weights]


def test_cppn_dense_draws_weights_and_biases_from_n_0_01():
    kernel, bias = weights(cppn_dense(2000), (None, 200))
    assert abs(kernel.mean()) < 0.002 and kernel.std() == pytest.approx(0.1, rel=0.02)
    assert bias.std() == pytest.approx(0.1, rel=0.1) and abs(bias.mean()) < 0.01
    assert len(weights(cppn_dense(10, use_bias=False), (None, 3))) == 1


def test_linear_is_n_0_002_with_zero_bias():
    kernel, bias = weights(linear(2000), (None, 200))
    assert kernel.std() == pytest.approx(0.02, rel=0.02) and np.all(bias == 0)


def test_conv_is_5x5_stride_2_truncated_normal():
    layer = conv2d(64)
    kernel, bias = weights(layer, (None, 26, 26, 32))
    assert kernel.shape == (5, 5, 32, 64) and np.all(bias == 0)
    assert np.abs(kernel).max() <= 0.04 + 1e-7  # cut at two standard deviations
    assert kernel.std() == pytest.approx(0.02 * 0.88, rel=0.03)  # std of N(0, 0.02²) cut at ±2σ
    assert layer(tf.zeros((1, 26, 26, 32))).shape == (1, 13, 13, 64)


def test_batch_norm_uses_the_batch_statistics_every_time():
    layer = BatchNorm()
    layer.build((None, 4, 4, 500))
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    assert gamma.mean() == pytest.approx(1.0, abs=0.005) and gamma.std() == pytest.approx(0.02, rel=0.15)
    assert np.all(beta == 0)
    layer.gamma.assign(np.ones(500, np.float32))
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(8, 4, 4, 500)).astype(np.float32)
    expected = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-5)
    for training in (True, False):  # no inference mode: always this batch's statistics
        np.testing.assert_allclose(layer(x, training=training), expected, atol=1e-4)


def test_model_layers_use_the_upstream_initialisers():
    model = CPPNVAE(net_size_g=512)
    g = model.generator
    assert g.hidden.layers[0].kernel.numpy().std() == pytest.approx(0.1, rel=0.02)
    assert g.hidden.layers[0].bias.numpy().std() == pytest.approx(0.1, rel=0.15)
    assert g.xyr_input.kernel.shape == (3, 512) and not g.xyr_input.use_bias
    encoder_kernel = model.encoder.get_layer("q_h0").kernel.numpy()
    assert encoder_kernel.std() == pytest.approx(0.02, rel=0.02)
    assert model.discriminator.get_layer("d_h3_lin").kernel.numpy().std() == pytest.approx(0.02, rel=0.1)
