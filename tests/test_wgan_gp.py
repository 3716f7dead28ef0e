"""wgan_gp.py (system E): the gradient penalty and n_critic critic steps per generator step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from wgan_gp import CPPNWGANGP, gradient_penalty


def test_gradient_penalty_of_a_linear_critic():
    x = tf.zeros((1, 2, 2, 1))
    # A linear critic has gradient w everywhere: penalty (‖w‖ − 1)².
    critic = tf.keras.Sequential([tf.keras.Input((2, 2, 1)), tf.keras.layers.Flatten(),
                                  tf.keras.layers.Dense(1, kernel_initializer="ones")])
    penalty = gradient_penalty(critic, x, tf.ones((1, 2, 2, 1)), keras.random.SeedGenerator(0))
    assert float(penalty) == pytest.approx((2.0 - 1.0) ** 2, rel=1e-4)


def test_wgan_takes_n_critic_batches_per_generator_step():
    model = CPPNWGANGP(batch_size=4, z_dim=8, net_size_g=8, critic_dim=4, n_critic=3, seed=0)
    x = np.random.default_rng(0).random((12, 28, 28, 1)).astype(np.float32)
    d_loss, g_loss, wasserstein, penalty = model.partial_train(x)
    assert int(model.critic_optimizer.iterations) == 3 and int(model.g_optimizer.iterations) == 1
    assert np.isfinite([d_loss, g_loss, wasserstein, penalty]).all() and penalty >= 0
    with pytest.raises(ValueError, match="n_critic × k images"):
        model.partial_train(x[:5])
