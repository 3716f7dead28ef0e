"""cppn.py: the generator's layer plans and the random-weight art CPPN."""

import numpy as np

from cppn import Generator


def test_frog_generator_alternates_tanh_and_relu_and_may_drop_the_radius():
    g = Generator(z_dim=4, c_dim=3, net_size=8, depth=8, architecture="frog", use_radius=False)
    activations = [layer.activation.__name__ for layer in g.hidden.layers]
    assert activations == ["tanh", "relu"] * 7
    assert g.xyr_input.kernel.shape == (2, 8)
    z = np.ones((1, 4), np.float32)
    coords = np.array([[0.5, 0.5, 0.7], [0.5, 0.5, 9.0]], np.float32)
    out = g.draw(z, coords, np.float32(1.0)).numpy()
    np.testing.assert_allclose(out[0, 0], out[0, 1])  # r ignored
