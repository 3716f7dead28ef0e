"""latent_prior.py: a mixture fitted to known clusters, its samples, its file, and the errors."""

import numpy as np
import pytest

import latent_prior
from latent_prior import GaussianMixture, StandardNormal


def clusters(n=4000, seed=0):
    """Two clusters in 3 dimensions, at ±3 with spreads 0.3 and 0.6, in proportion 1 : 3."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n // 4, 3)) * 0.3 + 3.0
    b = rng.normal(size=(3 * n // 4, 3)) * 0.6 - 3.0
    return np.concatenate([a, b])


def test_fit_finds_known_clusters_and_samples_stay_in_them():
    prior = GaussianMixture.fit(clusters(), components=2, seed=0)
    order = np.argsort(prior.means[:, 0])
    np.testing.assert_allclose(prior.weights[order], [0.75, 0.25], atol=0.02)
    np.testing.assert_allclose(prior.means[order], [[-3.0] * 3, [3.0] * 3], atol=0.05)
    spreads = np.sqrt(np.diagonal(prior.scales @ np.transpose(prior.scales, (0, 2, 1)), axis1=1, axis2=2))
    np.testing.assert_allclose(spreads[order], [[0.6] * 3, [0.3] * 3], rtol=0.1)
    z = prior.sample(4000, np.random.default_rng(1))
    assert z.dtype == np.float32 and z.shape == (4000, 3)
    assert np.mean(np.abs(z[:, 0]) < 1.0) < 0.01  # nothing between the clusters, where N(0, 1) puts 68 %
    assert prior.log_likelihood(clusters(seed=2)) > GaussianMixture([1.0], [np.zeros(3)], [np.eye(3)]).log_likelihood(
        clusters(seed=2)) + 3


def test_temperature_shrinks_each_component_not_the_whole():
    prior = GaussianMixture.fit(clusters(), components=2, seed=0)
    cold = prior.sample(3000, np.random.default_rng(1), temperature=0.5)
    warm = prior.sample(3000, np.random.default_rng(1), temperature=1.0)
    means = prior.means[np.argmin(np.abs(cold[:, None, 0] - prior.means[None, :, 0]), axis=1)]
    np.testing.assert_allclose(cold - means, 0.5 * (warm - means), atol=1e-5)
    assert np.abs(cold[:, 0]).min() > 1.5  # still at ±3, not pulled to 0


def test_standard_normal_draws_as_upstream():
    z = StandardNormal(32).sample(2, np.random.default_rng(5), temperature=0.7)
    np.testing.assert_array_equal(z, (0.7 * np.random.default_rng(5).normal(size=(2, 32))).astype(np.float32))


def test_file_round_trip_and_choices(tmp_path):
    prior = GaussianMixture.fit(clusters(), components=2, seed=0)
    prior.save(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [latent_prior.FILE]  # no temporary file left
    loaded = latent_prior.load(str(tmp_path), 3)
    assert loaded.name == "fitted"
    np.testing.assert_array_equal(loaded.sample(5, np.random.default_rng(0)), prior.sample(5, np.random.default_rng(0)))
    assert latent_prior.load(str(tmp_path), 3, "normal").name == "normal"
    assert latent_prior.load(str(tmp_path / "none"), 3).name == "normal"
    with pytest.raises(ValueError, match="has no fitted prior.*--fit_prior 10"):
        latent_prior.load(str(tmp_path / "none"), 3, "fitted")
    with pytest.raises(ValueError, match="over 3 dimensions but the model's z has 32"):
        latent_prior.load(str(tmp_path), 32)
    with pytest.raises(ValueError, match="prior must be one of auto, normal, fitted"):
        latent_prior.load(str(tmp_path), 3, "gmm")
    (tmp_path / latent_prior.FILE).write_bytes(b"not a numpy file")
    with pytest.raises(ValueError, match="cannot be read.*fit it again"):
        latent_prior.load(str(tmp_path), 3)


def test_fit_refuses_more_components_than_points():
    with pytest.raises(ValueError, match="a mixture of 5 components needs 1 to 3"):
        GaussianMixture.fit(np.zeros((3, 2)), components=5)
