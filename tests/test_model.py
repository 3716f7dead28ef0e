"""CPPNVAE: network shapes, losses on hand-computed inputs, the training rule, rendering, checkpoints."""

import math

import numpy as np
import pytest
import tensorflow as tf

import render as render_module
from model import (
    CheckpointError,
    CPPNVAE,
    discriminator_loss,
    generator_loss,
    kl_divergence,
    l2_reconstruction_loss,
    reconstruction_loss,
    vae_loss,
)
from ops import coordinates


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return (rng.random((4, 26, 26, 1)) > 0.7).astype(np.float32)


# --------------------------------------------------------------------------- shapes


def test_encoder_generator_discriminator_shapes(batch):
    model = CPPNVAE()
    z_mean, z_log_sigma_sq = model.encoder(batch)
    assert z_mean.shape == (4, 32) and z_log_sigma_sq.shape == (4, 32)
    pixels = model.generator(z_mean, coordinates(26, 26, 8.0), scale=8.0)
    assert pixels.shape == (4, 676, 1)
    d = model.discriminator(batch).numpy()
    assert d.shape == (4, 1) and np.all((d > 0) & (d < 1))
    convs = [layer for layer in model.discriminator.layers if "conv" in layer.name]
    assert [tuple(c.output.shape[1:]) for c in convs] == [(13, 13, 24), (7, 7, 48), (4, 4, 96)]
    assert model(batch).shape == (4, 26, 26, 1)


def test_colour_model_shapes():
    model = CPPNVAE(c_dim=3, x_dim=30, y_dim=20, z_dim=8)
    assert model.generate(np.zeros((2, 8)), x_dim=30, y_dim=20).shape == (2, 20, 30, 3)
    assert model.encode(np.zeros((1, 20, 30, 3))).shape == (1, 8)


# --------------------------------------------------------------------------- losses


def test_reconstruction_loss_by_hand():
    x = np.array([[1.0, 0.0, 1.0]])
    x_hat = np.array([[0.8, 0.3, 1.0]])
    expected = -(math.log(0.8 + 1e-10) + math.log(1 - 0.3 + 1e-10) + math.log(1.0 + 1e-10))
    assert float(reconstruction_loss(x, x_hat)[0]) == pytest.approx(expected, rel=1e-6)


def test_kl_divergence_by_hand():
    z_mean = np.array([[1.0, 0.0]], np.float32)
    z_log_sigma_sq = np.array([[0.0, math.log(2.0)]], np.float32)
    expected = -0.5 * ((1 + 0 - 1 - 1) + (1 + math.log(2.0) - 0 - 2))
    assert float(kl_divergence(z_mean, z_log_sigma_sq)[0]) == pytest.approx(expected, rel=1e-6)


def test_l2_loss_by_hand():
    """System C's colour loss: Σ 2·(x − x̂)² per image."""
    x = tf.zeros((1, 2, 2, 1))
    assert float(l2_reconstruction_loss(x, tf.fill((1, 2, 2, 1), 0.5))[0]) == pytest.approx(4 * 2 * 0.25)


def test_vae_loss_is_batch_mean_per_point():
    x = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)
    x_hat = np.array([[0.5, 0.5], [0.5, 0.5]], np.float32)
    zeros = np.zeros((2, 3), np.float32)
    expected = (2 * math.log(2) + 2 * math.log(2)) / 2 / 2  # KL is 0 for N(0, 1)
    assert float(vae_loss(x, x_hat, zeros, zeros, n_points=2)) == pytest.approx(expected, rel=1e-5)


def test_gan_losses_by_hand():
    d_real = np.array([0.9, 0.5], np.float32)
    d_fake = np.array([0.2, 0.5], np.float32)
    d, real, fake = (float(v) for v in discriminator_loss(d_real, d_fake))
    assert real == pytest.approx((-math.log(0.9) - math.log(0.5)) / 2, rel=1e-5)
    assert fake == pytest.approx((-math.log(0.8) - math.log(0.5)) / 2, rel=1e-5)
    assert d == pytest.approx((real + fake) / 2, rel=1e-6)
    assert float(generator_loss(np.array([0.5, 0.5]))) == pytest.approx(math.log(2), rel=1e-6)
    assert math.isfinite(float(generator_loss(np.array([0.0]))))  # the 1e-12 guard


# --------------------------------------------------------------------------- the training rule


def steps(model):
    return np.array([int(o.iterations) for o in (model.vae_optimizer, model.g_optimizer, model.d_optimizer)])


def snapshot(network):
    return [w.numpy().copy() for w in network.weights]


def changed(before, network):
    return any(not np.array_equal(a, w.numpy()) for a, w in zip(before, network.weights))


def test_partial_train_default_rule(batch):
    model = CPPNVAE(seed=1)
    d, g, vae, counter = model.partial_train(batch)
    vae_steps, g_steps, d_steps = steps(model)
    assert vae_steps == 4 and 1 <= g_steps <= 4 and d_steps in (0, 1)
    assert counter == vae_steps + g_steps + d_steps
    assert g_steps == 4 or g < 0.6  # generator steps stop only once g_loss < 0.6
    assert all(math.isfinite(v) for v in (d, g, vae))


def test_generator_stops_as_soon_as_g_loss_is_low(batch):
    model = CPPNVAE(g_stop_loss=100.0, th_high=0.0)  # every g_loss is "low"; D gate shut
    assert model.partial_train(batch)[3] == 5
    assert list(steps(model)) == [4, 1, 0]


def test_generator_takes_n_handicap_steps_while_g_loss_is_high(batch):
    model = CPPNVAE(g_stop_loss=0.0, n_handicap=3, n_vae_steps=2, th_high=0.0)
    assert model.partial_train(batch)[3] == 5
    assert list(steps(model)) == [2, 3, 0]


def test_closed_gate_leaves_the_discriminator_alone(batch):
    model = CPPNVAE(th_high=0.0)  # D trains only while g_loss < 0: never
    d_before, q_before = snapshot(model.discriminator), snapshot(model.encoder)
    model.partial_train(batch)
    assert steps(model)[2] == 0
    assert not changed(d_before, model.discriminator)
    assert changed(q_before, model.encoder)


def test_open_gate_trains_the_discriminator_until_d_loss_is_low(batch):
    model = CPPNVAE(th_low=0.0, th_high=100.0, n_d_steps=3)  # d_loss is never below 0
    d_before = snapshot(model.discriminator)
    counter = model.partial_train(batch)[3]
    assert steps(model)[2] == 3 and counter == 4 + steps(model)[1] + 3
    assert changed(d_before, model.discriminator)



def test_rule_settings_changed_between_batches_apply(batch):
    model = CPPNVAE(th_low=0.0, th_high=100.0)
    model.partial_train(batch)
    assert steps(model)[2] == 1
    model.th_low = 100.0  # the gate opens only while d_loss > th_low: now shut
    model.n_vae_steps = 2
    model.partial_train(batch)
    assert steps(model)[2] == 1 and steps(model)[0] == 6


def test_partial_train_takes_upstream_flat_batches(batch):
    model = CPPNVAE(n_vae_steps=1, n_handicap=1)
    assert model.partial_train(batch.reshape(4, 676))[3] >= 2
    with pytest.raises(ValueError, match="26×26×1"):
        model.partial_train(np.zeros((4, 28, 28, 1)))


def test_fit_runs_the_rule_and_reports_the_losses(batch):
    model = CPPNVAE(n_vae_steps=1, n_handicap=1)
    model.compile()
    history = model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(2), epochs=1, verbose=0)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert set(logs) == {"d_loss", "g_loss", "vae_loss", "n_op"}
    assert 2 <= logs["n_op"] <= 3
    assert steps(model)[0] == 2  # one VAE step for each of the two batches


# --------------------------------------------------------------------------- rendering


def test_generate_26_equals_the_training_output():
    model = CPPNVAE()
    z = np.random.default_rng(1).normal(size=(3, 32)).astype(np.float32)
    trained = model.generator(z, model.train_coords, scale=model.scale).numpy().reshape(3, 26, 26, 1)
    rendered = model.generate(z, x_dim=26, y_dim=26, scale=8.0)
    np.testing.assert_allclose(rendered, trained, atol=1e-5)


def test_generate_at_300_is_a_valid_image():
    model = CPPNVAE()
    image = model.generate(np.random.default_rng(2).normal(size=(1, 32)), x_dim=300, y_dim=300)
    assert image.shape == (1, 300, 300, 1) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0 and image.std() > 0


def test_generate_in_bands_equals_one_piece():
    model = CPPNVAE()
    z = np.random.default_rng(3).normal(size=(2, 32))
    whole = model.generate(z, x_dim=40, y_dim=33)
    five_rows = 2 * 40 * 5 * render_module.LIVE_ACTIVATIONS * 4 * 128 / 2**20
    np.testing.assert_allclose(model.generate(z, x_dim=40, y_dim=33, memory_mb=five_rows), whole, atol=1e-6)


def test_generate_defaults_and_bad_input():
    model = CPPNVAE(batch_size=2)
    assert model.generate().shape == (2, 26, 26, 1)
    assert model.generate(np.zeros(32)).shape == (1, 26, 26, 1)
    with pytest.raises(ValueError, match=r"\[batch, 32\]"):
        model.generate(np.zeros((1, 8)))
    with pytest.raises(ValueError, match="x_dim must be a positive"):
        model.generate(x_dim=0)
    with pytest.raises(ValueError, match="y_dim must be a positive"):
        model.generate(y_dim=2.5)


def test_encode_returns_z_mean(batch):
    model = CPPNVAE()
    z = model.encode(batch)
    np.testing.assert_allclose(z, model.encoder(batch)[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(model.encode(batch.reshape(4, -1)), z, atol=1e-6)
    with pytest.raises(ValueError, match="676 values each"):
        model.encode(np.zeros((2, 28, 28)))


# --------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trips_every_weight_and_optimizer_state(tmp_path, batch):
    model = CPPNVAE(seed=4)
    model.partial_train(batch)
    model.save_model(str(tmp_path), epoch=7)
    trained = CPPNVAE(seed=5)
    trained.compile()
    assert trained.load_model(str(tmp_path)) == 7
    for name in ("encoder", "generator", "discriminator"):
        for a, b in zip(getattr(model, name).weights, getattr(trained, name).weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    assert list(steps(trained)) == list(steps(model))
    for a, b in zip(model.g_optimizer.variables, trained.g_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    sampler_side = CPPNVAE()  # not compiled: weights only, optimizer state skipped
    assert sampler_side.load_model(str(tmp_path)) == 7
    z = np.ones((1, 32))
    np.testing.assert_allclose(sampler_side.generate(z), model.generate(z), atol=1e-6)


def test_weights_only_checkpoint_is_smaller_and_trains_on(tmp_path, batch):
    model = CPPNVAE(seed=6)
    model.partial_train(batch)
    model.save_model(str(tmp_path / "full"), 3)
    model.save_model(str(tmp_path / "weights"), 3, include_optimizer=False)
    size = lambda folder: sum(f.stat().st_size for f in folder.glob("model.ckpt-3.*"))
    assert size(tmp_path / "weights") < size(tmp_path / "full") / 3
    resumed = CPPNVAE()
    resumed.compile()
    assert resumed.load_model(str(tmp_path / "weights")) == 3 and not resumed.optimizer_state_restored
    assert list(steps(resumed)) == [0, 0, 0]
    z = np.ones((1, 32))
    np.testing.assert_array_equal(resumed.generate(z), model.generate(z))
    resumed.partial_train(batch)
    full = CPPNVAE()
    full.compile()
    full.load_model(str(tmp_path / "full"))
    assert full.optimizer_state_restored


def test_checkpoints_keep_the_latest_few(tmp_path):
    model = CPPNVAE()
    for epoch in range(1, 8):
        model.save_model(str(tmp_path), epoch)
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-7")
    assert len(list(tmp_path.glob("*.index"))) == 5
    assert CPPNVAE().load_model(str(tmp_path / "model.ckpt-4")) == 4


def test_missing_or_mismatched_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint found.*train.py"):
        CPPNVAE().load_model(str(tmp_path))
    CPPNVAE().save_model(str(tmp_path), 1)
    with pytest.raises(CheckpointError, match="cannot be read into this cppnvae model"):
        CPPNVAE(net_size_g=64).load_model(str(tmp_path))


def test_checkpoint_with_nan_weights_is_refused_naming_them(tmp_path):
    model = CPPNVAE()
    model.save_model(str(tmp_path), 1)
    model.generator.weights[0].assign(tf.fill(model.generator.weights[0].shape, np.nan))
    model.save_model(str(tmp_path), 2)
    with pytest.raises(CheckpointError, match=r"holds NaN/Inf weights \(generator/g_0_z/kernel\).*earlier checkpoint"):
        CPPNVAE().load_model(str(tmp_path))
    assert CPPNVAE().load_model(str(tmp_path / "model.ckpt-1")) == 1


def test_stop_on_divergence_catches_nan_weights_behind_finite_losses():
    from callbacks import StopOnDivergence, TrainingDiverged

    model, guard = CPPNVAE(), StopOnDivergence()
    guard.set_model(model)
    guard.on_train_batch_end(0, {"d_loss": 0.7, "g_loss": 0.7})
    model.encoder.weights[0].assign(tf.fill(model.encoder.weights[0].shape, np.inf))
    with pytest.raises(TrainingDiverged, match=r"weights turned NaN/Inf in epoch 1, batch 3 \(encoder/q_h0/kernel\) "
                                               r"while the losses stayed finite"):
        guard.on_train_batch_end(2, {"d_loss": 0.7, "g_loss": 0.7})


def test_reparameterisation_gradient_stays_finite_when_sigma_underflows():
    """log σ² = −120: exp underflows to 0, so sqrt(exp(·)) would send NaN into every weight behind z."""
    model = CPPNVAE(batch_size=2, seed=0)
    head = model.encoder.get_layer("q_z_log_sigma_sq")
    head.kernel.assign(tf.zeros_like(head.kernel))
    head.bias.assign(tf.fill(head.bias.shape, -120.0))
    x = tf.constant(np.random.default_rng(0).random((2, 26, 26, 1)), tf.float32)
    with tf.GradientTape() as tape:
        z_mean, z_log_sigma_sq, x_hat = model._reconstruct(x)
        loss = model._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
    gradients = tape.gradient(loss, model.qg_variables)
    assert np.isfinite(float(loss))
    assert all(np.isfinite(g.numpy()).all() for g in gradients)


def test_prior_samples_join_the_fakes_that_d_and_g_judge():
    x = np.random.default_rng(5).random((10, 26, 26, 1)).astype(np.float32)
    upstream = CPPNVAE(batch_size=10, seed=1)
    assert upstream._fakes(x)[3].shape == (10, 26, 26, 1)  # reconstructions only
    model = CPPNVAE(batch_size=10, seed=1, prior_samples=0.5, n_vae_steps=0, n_handicap=1, th_low=0.0, th_high=10.0)
    assert model._fakes(x)[3].shape == (15, 26, 26, 1)
    model.compile()
    # No VAE steps and the gate forced open: one G step and one D step move every weight of G and D.
    before = [w.numpy().copy() for w in model.generator.weights + model.discriminator.trainable_weights]
    d, g, _, counter = model.partial_train(x)
    after = model.generator.weights + model.discriminator.trainable_weights
    assert counter == 2 and np.isfinite([d, g]).all()
    assert all(not np.allclose(b, a.numpy()) for b, a in zip(before, after))
