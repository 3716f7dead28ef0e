"""The distribution a trained model's samples draw their z from.

Upstream draws z ~ N(0, I), the prior the VAE's KL term pulls towards. The
encodings of real digits do not fill that ball evenly: they sit in clusters,
one or a few per digit, and N(0, I) also lands between them, where the
generator draws strokes half-way between a 4 and a 9. Fitting a Gaussian
mixture to the encodings of the training images once training is done, and
drawing z from it, keeps samples where the digits are ("ex-post density
estimation", Ghosh et al. 2020, "From Variational to Deterministic
Autoencoders"; Dai & Wipf 2019 make the same point). It changes no weight:
the mixture is a small file, `latent_prior.npz`, beside the checkpoint,
fitted by `python train.py --save_dir RUN --fit_prior 10`. Models without one,
and `prior="normal"`, draw from N(0, I) as upstream did.
"""

import math
import os

import numpy as np

FILE = "latent_prior.npz"
CHOICES = ("auto", "normal", "fitted")  # auto: the fitted mixture when the model folder has one


class StandardNormal:
    """Upstream's prior: z ~ N(0, t² I)."""

    name = "normal"

    def __init__(self, z_dim):
        self.z_dim = z_dim

    def sample(self, n, rng, temperature=1.0):
        return (temperature * rng.normal(size=(n, self.z_dim))).astype(np.float32)

    def log_likelihood(self, z):
        """Mean log density of the rows of z."""
        z = np.asarray(z, np.float64)
        return float(np.mean(-0.5 * np.sum(z**2, axis=1)) - 0.5 * self.z_dim * math.log(2 * math.pi))


class GaussianMixture:
    """A mixture of full-covariance Gaussians over z: `weights` [k], `means` [k, d], `scales` [k, d, d]
    (each covariance's lower Cholesky factor)."""

    name = "fitted"

    def __init__(self, weights, means, scales):
        self.weights = np.asarray(weights, np.float64)
        self.means = np.asarray(means, np.float64)
        self.scales = np.asarray(scales, np.float64)
        self.z_dim = self.means.shape[1]

    @property
    def components(self):
        return len(self.weights)

    def sample(self, n, rng, temperature=1.0):
        """n latents: a component by weight, then its Gaussian with covariance × t²."""
        pick = rng.choice(self.components, size=n, p=self.weights)
        noise = rng.normal(size=(n, self.z_dim))
        z = self.means[pick] + temperature * np.einsum("nij,nj->ni", self.scales[pick], noise)
        return z.astype(np.float32)

    def log_likelihood(self, z):
        """Mean log density of the rows of z."""
        return float(np.mean(_log_sum_exp(_log_densities(np.asarray(z, np.float64), self.weights, self.means,
                                                         self.scales), axis=0)))

    @classmethod
    def fit(cls, z, components=10, seed=0, points=20000, iterations=200, tolerance=1e-4, ridge=1e-4):
        """Expectation-maximisation on at most `points` rows of z (EM's cost grows with them), started from
        `components` of them, all picked by seed; stops when the mean log density gains less than
        `tolerance`. `ridge` keeps every covariance invertible."""
        rng = np.random.default_rng(seed)
        z = np.asarray(z, np.float64)
        if len(z) > points:
            z = z[rng.choice(len(z), points, replace=False)]
        n, d = z.shape
        if not 1 <= components <= n:
            raise ValueError(f"a mixture of {components} components needs 1 to {n} (the encoded images) of them")
        means = z[rng.choice(n, components, replace=False)]
        covariance = np.cov(z.T).reshape(d, d) + ridge * np.eye(d)
        scales = np.repeat(np.linalg.cholesky(covariance)[None], components, axis=0)
        weights = np.full(components, 1.0 / components)
        previous = -math.inf
        for _ in range(iterations):
            log_p = _log_densities(z, weights, means, scales)
            log_total = _log_sum_exp(log_p, axis=0)
            responsibility = np.exp(log_p - log_total)  # [k, n]
            mass = responsibility.sum(axis=1) + 1e-12
            weights = mass / n
            means = responsibility @ z / mass[:, None]
            for j in range(components):
                centred = z - means[j]
                covariance = centred.T @ (centred * responsibility[j][:, None]) / mass[j] + ridge * np.eye(d)
                scales[j] = np.linalg.cholesky(covariance)
            gain, previous = log_total.mean() - previous, log_total.mean()
            if gain < tolerance:
                break
        return cls(weights, means, scales)

    def save(self, model_dir):
        """Write `latent_prior.npz` into model_dir atomically (a crash leaves the old file or none)."""
        path = os.path.join(model_dir, FILE)
        temp = path + ".tmp.npz"
        np.savez(temp, weights=self.weights, means=self.means, scales=self.scales)
        os.replace(temp, path)
        return path

    @classmethod
    def load(cls, model_dir):
        """The mixture in model_dir, or None when it has none."""
        path = os.path.join(model_dir, FILE)
        if not os.path.exists(path):
            return None
        try:
            with np.load(path) as stored:
                prior = cls(stored["weights"], stored["means"], stored["scales"])
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f"{path} cannot be read ({error}); fit it again with "
                             f"`python train.py --save_dir {model_dir} --fit_prior 10`, or delete it") from None
        return prior


def _log_densities(z, weights, means, scales):
    """log(weight_j · N(z_i; mean_j, scale_j scale_jᵀ)) → [k, n]."""
    d = z.shape[1]
    inverse = np.linalg.inv(scales)  # [k, d, d], lower triangular
    distance = np.stack([np.einsum("ij,ij->i", w, w) for w in ((z - m) @ l.T for m, l in zip(means, inverse))])
    log_det = 2.0 * np.log(np.diagonal(scales, axis1=1, axis2=2)).sum(axis=1)
    return np.log(weights)[:, None] - 0.5 * (distance + log_det[:, None] + d * math.log(2 * math.pi))


def _log_sum_exp(values, axis):
    top = values.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.exp(values - top).sum(axis=axis))


def load(model_dir, z_dim, choice="auto"):
    """The prior to draw from for the model in `model_dir`: its fitted mixture (`auto` when present,
    `fitted` always) or N(0, I) (`normal`, or `auto` without one)."""
    if choice not in CHOICES:
        raise ValueError(f"prior must be one of {', '.join(CHOICES)}, got {choice!r}")
    mixture = None if choice == "normal" or model_dir is None else GaussianMixture.load(model_dir)
    if choice == "fitted" and mixture is None:
        raise ValueError(f"{model_dir} has no fitted prior ({FILE}); fit one with "
                         f"`python train.py --save_dir {model_dir} --fit_prior 10`, or use prior 'normal'")
    if mixture is not None and mixture.z_dim != z_dim:
        raise ValueError(f"{os.path.join(model_dir, FILE)} is over {mixture.z_dim} dimensions but the model's z has "
                         f"{z_dim}; fit it again with `python train.py --save_dir {model_dir} --fit_prior 10`")
    return mixture or StandardNormal(z_dim)


def encodings(model, images, seed=0, batch=2000):
    """Posterior draws z = z_mean + σ·ε for the images: the aggregate posterior a mixture is fitted to."""
    rng = np.random.default_rng(seed)
    drawn = []
    for start in range(0, len(images), batch):
        z_mean, z_log_sigma_sq = (t.numpy() for t in model.encoder(images[start : start + batch], training=False))
        drawn.append(z_mean + np.exp(0.5 * z_log_sigma_sq) * rng.normal(size=z_mean.shape))
    return np.concatenate(drawn)
