"""CPPN-GAN-VAE (system B of REFERENCE.md): the networks, the losses and Ha's training rule.

Three sub-models hold the three variable groups of upstream: the encoder Q,
the CPPN generator G and the discriminator D. `CPPNVAE` ties them together
with three Adam optimizers and the `partial_train` rule (N_handicap generator
steps, loss-gated discriminator step), usable batch by batch as upstream did
or through `fit()` with Keras callbacks.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

from ops import BatchNorm, Residual, conv2d, coordinates, cppn_dense, linear, lrelu
from render import render

# Upstream's guards against log(0).
RECONSTRUCTION_EPS = 1e-10
GAN_EPS = 1e-12
CHECKPOINT_NAME = "model.ckpt"


class CheckpointError(Exception):
    """A checkpoint is missing or does not fit the model; the message says which and why."""


# --------------------------------------------------------------------------- networks


def build_encoder(x_dim=26, y_dim=26, c_dim=1, z_dim=32, net_size_q=512, keep_prob=1.0):
    """Q: image → (z_mean, z_log_sigma_sq) through two softplus layers with dropout."""
    images = keras.Input(shape=(y_dim, x_dim, c_dim), name="images")
    h = keras.layers.Flatten()(images)
    for i in range(2):
        h = linear(net_size_q, name=f"q_h{i}")(h)
        h = keras.layers.Activation("softplus")(h)
        h = keras.layers.Dropout(1.0 - keep_prob)(h)
    z_mean = linear(z_dim, name="q_z_mean")(h)
    z_log_sigma_sq = linear(z_dim, name="q_z_log_sigma_sq")(h)
    return keras.Model(images, [z_mean, z_log_sigma_sq], name="encoder")


def build_discriminator(x_dim=26, y_dim=26, c_dim=1, df_dim=24):
    """D: DCGAN-style conv stack → probability that the image is real."""
    return keras.Sequential(
        [
            keras.Input(shape=(y_dim, x_dim, c_dim)),
            conv2d(df_dim, name="d_h0_conv"),
            lrelu(),
            conv2d(df_dim * 2, name="d_h1_conv"),
            BatchNorm(name="d_bn1"),
            lrelu(),
            conv2d(df_dim * 4, name="d_h2_conv"),
            BatchNorm(name="d_bn2"),
            lrelu(),
            keras.layers.Flatten(),
            linear(1, name="d_h3_lin"),
            keras.layers.Activation("sigmoid"),
        ],
        name="discriminator",
    )


OUTPUTS = {
    "sigmoid": tf.sigmoid,
    "sinusoid": lambda h: 0.5 * tf.sin(h) + 0.5,
    "sqrt_abs_tanh": lambda h: tf.sqrt(1.0 - tf.abs(tf.tanh(h))),
}
# name: (activation of U, hidden activations cycled over the layers, output, residual hidden layers)
ARCHITECTURES = {
    "cppnvae": ("softplus", ("tanh",), "sigmoid", False),  # system B, trained on MNIST
    "tanh": ("tanh", ("tanh",), "sigmoid", False),  # system A's default
    "softplus_tanh": ("tanh", ("softplus", "tanh"), "sigmoid", False),
    "sinusoid": ("tanh", ("softplus", "tanh"), "sinusoid", False),
    "sqrt_abs_tanh": ("tanh", ("tanh",), "sqrt_abs_tanh", False),
    "residual": ("tanh", ("tanh",), "sigmoid", True),  # H = H + tanh(FC(H))
}


@keras.saving.register_keras_serializable(package="cppn")
class Generator(keras.Model):
    """The CPPN: the same small network evaluated once per pixel coordinate.

    `U = FC(z·scale) + FC_nobias(x) + FC_nobias(y) + FC_nobias(r)`, then
    `depth - 1` hidden layers and an output layer, with the activations of
    `architecture` (see `ARCHITECTURES`). z is projected once per image and
    broadcast to every pixel, which equals upstream's tiling of z.
    """

    def __init__(self, z_dim=32, c_dim=1, net_size=128, depth=4, architecture="cppnvae", stddev=0.1, **kwargs):
        super().__init__(**kwargs)
        if architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}")
        self.z_dim, self.c_dim, self.net_size, self.depth = z_dim, c_dim, net_size, depth
        self.architecture, self.stddev = architecture, stddev
        first, hidden, output, residual = ARCHITECTURES[architecture]
        self.first_activation = keras.activations.get(first)
        self.output_function = OUTPUTS[output]
        self.z_input = cppn_dense(net_size, stddev=stddev, name="g_0_z")
        # One kernel row per coordinate: the same N(0, stddev²) weights as three bias-free layers.
        self.xyr_input = cppn_dense(net_size, use_bias=False, stddev=stddev, name="g_0_xyr")
        layers = []
        for i in range(1, depth):
            activation = hidden[(i - 1) % len(hidden)]
            layer = cppn_dense(net_size, activation=activation, stddev=stddev, name=f"g_{activation}_{i}")
            layers.append(Residual(layer) if residual else layer)
        # A Sequential, not a list: TensorFlow checkpoints do not see layers held in Python lists.
        self.hidden = keras.Sequential(layers or [keras.layers.Identity()], name="g_hidden")
        self.output_layer = cppn_dense(c_dim, stddev=stddev, name="g_out")
        self.z_input.build((None, z_dim))
        self.xyr_input.build((None, 3))
        self.hidden.build((None, net_size))
        self.output_layer.build((None, net_size))
        self.built = True

    def call(self, z, coords, scale):
        """z [batch, z_dim], coords [pixels, 3] (x, y, r) → intensities [batch, pixels, c_dim]."""
        batch, pixels = tf.shape(z)[0], tf.shape(coords)[0]
        u = self.z_input(z * scale)[:, None, :] + self.xyr_input(coords)[None, :, :]
        h = tf.reshape(self.first_activation(u), [-1, self.net_size])
        out = self.output_function(self.output_layer(self.hidden(h)))
        return tf.reshape(out, [batch, pixels, self.c_dim])

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.float32),
            tf.TensorSpec([None, 3], tf.float32),
            tf.TensorSpec([], tf.float32),
        ]
    )
    def draw(self, z, coords, scale):
        """`call`, compiled once for every resolution and batch (no retracing per size)."""
        return self(z, coords, scale=scale)

    def get_config(self):
        return {
            **super().get_config(),
            "z_dim": self.z_dim,
            "c_dim": self.c_dim,
            "net_size": self.net_size,
            "depth": self.depth,
            "architecture": self.architecture,
            "stddev": self.stddev,
        }


@keras.saving.register_keras_serializable(package="cppn")
class CPPN(keras.Model):
    """System A: an untrained CPPN whose random weights draw abstract art.

    Weights are drawn from the unit gaussian, as the post says; `reinit()`
    draws new ones, so the same z gives a new picture.
    """

    def __init__(self, batch_size=1, z_dim=32, c_dim=1, scale=8.0, net_size=32, architecture="tanh",
                 depth=4, stddev=1.0, **kwargs):
        super().__init__(**kwargs)
        self.batch_size, self.z_dim, self.c_dim, self.scale = batch_size, z_dim, c_dim, scale
        self.net_size, self.architecture, self.depth, self.stddev = net_size, architecture, depth, stddev
        self.generator = Generator(z_dim, c_dim, net_size, depth, architecture, stddev, name="generator")
        self.built = True

    def get_config(self):
        names = "batch_size z_dim c_dim scale net_size architecture depth stddev".split()
        return {name: getattr(self, name) for name in names}

    def reinit(self):
        """Draw every weight afresh: a new generator (Keras initialisers repeat their values if called again)."""
        self.generator = Generator(**self.generator.get_config())

    def generate(self, z=None, x_dim=26, y_dim=26, scale=8.0, memory_mb=None):
        """[batch, y_dim, x_dim, c_dim] images; z defaults to `batch_size` uniform(-1, 1) draws.

        `memory_mb` bounds the activations held at once (render.RENDER_MEMORY_MB by default).
        """
        if z is None:
            z = np.random.uniform(-1.0, 1.0, size=(self.batch_size, self.z_dim))
        return render(self.generator, z, x_dim, y_dim, scale, memory_mb)


# --------------------------------------------------------------------------- losses


def reconstruction_loss(x, x_hat):
    """Bernoulli negative log-likelihood summed over each image's values → [batch]."""
    x = tf.reshape(x, [tf.shape(x)[0], -1])
    x_hat = tf.reshape(x_hat, [tf.shape(x_hat)[0], -1])
    log_p = x * tf.math.log(RECONSTRUCTION_EPS + x_hat) + (1.0 - x) * tf.math.log(
        RECONSTRUCTION_EPS + 1.0 - x_hat
    )
    return -tf.reduce_sum(log_p, axis=1)


def kl_divergence(z_mean, z_log_sigma_sq):
    """KL(N(z_mean, σ²) ‖ N(0, 1)) summed over z → [batch]."""
    return -0.5 * tf.reduce_sum(
        1.0 + z_log_sigma_sq - tf.square(z_mean) - tf.exp(z_log_sigma_sq), axis=1
    )


def vae_loss(x, x_hat, z_mean, z_log_sigma_sq, n_points):
    """Batch mean of (reconstruction + KL), per pixel as upstream reports it."""
    per_image = reconstruction_loss(x, x_hat) + kl_divergence(z_mean, z_log_sigma_sq)
    return tf.reduce_mean(per_image) / n_points


def discriminator_loss(d_real, d_fake):
    """(d_loss, d_loss_real, d_loss_fake): D's cross-entropy on real and generated images."""
    d_loss_real = tf.reduce_mean(-tf.math.log(d_real + GAN_EPS))
    d_loss_fake = tf.reduce_mean(-tf.math.log(1.0 - d_fake + GAN_EPS))
    return (d_loss_real + d_loss_fake) / 2.0, d_loss_real, d_loss_fake


def generator_loss(d_fake):
    """G's loss: how sure D is that the generated images are fake (ln 2 when D is unsure)."""
    return tf.reduce_mean(-tf.math.log(d_fake + GAN_EPS))


# --------------------------------------------------------------------------- the model


# Which model setting each optimizer's learning rate comes from (upstream's flag names).
LEARNING_RATE_OF = {"d_optimizer": "learning_rate_d", "g_optimizer": "learning_rate", "vae_optimizer": "learning_rate_vae"}


@keras.saving.register_keras_serializable(package="cppn")
class CPPNVAE(keras.Model):
    """Ha's CPPN-GAN-VAE, with upstream's constructor, defaults and public methods.

    Training-rule parameters (defaults are the upstream code's values; the post
    describes N_handicap 4–8, th_high 0.80, th_low 0.45):

    - `n_vae_steps`: VAE optimizer steps per batch (4).
    - `n_handicap`: at most this many generator steps per batch (4) ...
    - `g_stop_loss`: ... stopping as soon as g_loss falls below this (0.6).
    - `th_low`, `th_high`: D is trained only while d_loss > th_low and
      g_loss < th_high (0.6, 0.75), so it never runs away from G.
    - `n_d_steps`: at most this many D steps when the gate is open (1),
      stopping once d_loss < th_low.
    - `prior_samples`: not upstream (0.0). Add this share of the batch,
      drawn from the prior, to the fakes of D and G, so G also learns to make
      prior samples look like digits (as VAE-GAN does), not only reconstructions.
    """

    def __init__(
        self,
        batch_size=1,
        z_dim=32,
        x_dim=26,
        y_dim=26,
        c_dim=1,
        scale=8.0,
        learning_rate=0.01,
        learning_rate_d=0.001,
        learning_rate_vae=0.0001,
        beta1=0.9,
        net_size_g=128,
        net_depth_g=4,
        net_size_q=512,
        keep_prob=1.0,
        df_dim=24,
        model_name="cppnvae",
        n_vae_steps=4,
        n_handicap=4,
        g_stop_loss=0.6,
        th_low=0.6,
        th_high=0.75,
        n_d_steps=1,
        prior_samples=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.batch_size, self.z_dim = batch_size, z_dim
        self.x_dim, self.y_dim, self.c_dim, self.scale = x_dim, y_dim, c_dim, scale
        self.learning_rate, self.learning_rate_d = learning_rate, learning_rate_d
        self.learning_rate_vae, self.beta1 = learning_rate_vae, beta1
        self.net_size_g, self.net_depth_g, self.net_size_q = net_size_g, net_depth_g, net_size_q
        self.keep_prob, self.df_dim, self.model_name = keep_prob, df_dim, model_name
        self.n_vae_steps, self.n_handicap, self.g_stop_loss = n_vae_steps, n_handicap, g_stop_loss
        self.th_low, self.th_high, self.n_d_steps = th_low, th_high, n_d_steps
        self.prior_samples = prior_samples
        self.n_points = x_dim * y_dim

        self.encoder = build_encoder(x_dim, y_dim, c_dim, z_dim, net_size_q, keep_prob)
        self.generator = Generator(z_dim, c_dim, net_size_g, net_depth_g, "cppnvae", name="generator")
        self.discriminator = build_discriminator(x_dim, y_dim, c_dim, df_dim)
        self.train_coords = tf.constant(coordinates(x_dim, y_dim, scale))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_optimizer = self.g_optimizer = self.vae_optimizer = None
        self.trackers = [keras.metrics.Mean(name) for name in ("d_loss", "g_loss", "vae_loss", "n_op")]
        self.built = True

    # ----------------------------------------------------------------- keras plumbing

    def get_config(self):
        names = (
            "batch_size z_dim x_dim y_dim c_dim scale learning_rate learning_rate_d "
            "learning_rate_vae beta1 net_size_g net_depth_g net_size_q keep_prob df_dim "
            "model_name n_vae_steps n_handicap g_stop_loss th_low th_high n_d_steps prior_samples"
        ).split()
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def metrics(self):
        return self.trackers

    @property
    def qg_variables(self):
        """Encoder and generator weights: what the VAE and G optimizers train."""
        return self.encoder.trainable_variables + self.generator.trainable_variables

    def compile(self, d_optimizer=None, g_optimizer=None, vae_optimizer=None, **kwargs):
        """Set the three optimizers; by default upstream's Adams with `beta1`.

        Each optimizer is built here, so its state exists before a checkpoint
        is restored into it.
        """
        super().compile(optimizer=None, **kwargs)

        def adam(learning_rate):
            # epsilon 1e-8 is TensorFlow 1's AdamOptimizer default.
            return keras.optimizers.Adam(learning_rate, beta_1=self.beta1, epsilon=1e-8)

        self.d_optimizer = d_optimizer or adam(self.learning_rate_d)
        self.g_optimizer = g_optimizer or adam(self.learning_rate)
        self.vae_optimizer = vae_optimizer or adam(self.learning_rate_vae)
        # The optimizers built here follow the model's learning rates, also after a restore.
        given = {"d_optimizer": d_optimizer, "g_optimizer": g_optimizer, "vae_optimizer": vae_optimizer}
        self._own_optimizers = tuple(name for name, optimizer in given.items() if optimizer is None)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.qg_variables)
        self.vae_optimizer.build(self.qg_variables)

    def call(self, x, training=False):
        """Autoencode: images → reconstructions through z_mean, at the images' size."""
        z_mean, _ = self.encoder(x, training=training)
        return self._images(self.generator(z_mean, self.train_coords, scale=self.scale))

    # ----------------------------------------------------------------- the training rule

    def _images(self, pixels):
        return tf.reshape(pixels, [-1, self.y_dim, self.x_dim, self.c_dim])

    def _reconstruct(self, x):
        """Encode with fresh noise and draw: (z_mean, z_log_sigma_sq, x_hat)."""
        z_mean, z_log_sigma_sq = self.encoder(x, training=True)
        eps = keras.random.normal(tf.shape(z_mean), seed=self.seed_generator)
        z = z_mean + tf.sqrt(tf.exp(z_log_sigma_sq)) * eps
        x_hat = self._images(self.generator(z, self.train_coords, scale=self.scale))
        return z_mean, z_log_sigma_sq, x_hat

    def _vae_loss(self, x, x_hat, z_mean, z_log_sigma_sq):
        return vae_loss(x, x_hat, z_mean, z_log_sigma_sq, self.n_points)

    def _fakes(self, x):
        """Reconstruct x, and add `prior_samples` × batch images drawn from the prior to the fakes D judges.

        → (z_mean, z_log_sigma_sq, x_hat, fakes). Upstream (prior_samples 0)
        shows D reconstructions only, so nothing teaches G what its prior
        samples should look like.
        """
        z_mean, z_log_sigma_sq, x_hat = self._reconstruct(x)
        if not self.prior_samples:
            return z_mean, z_log_sigma_sq, x_hat, x_hat
        n = tf.cast(tf.math.ceil(self.prior_samples * tf.cast(tf.shape(x)[0], tf.float32)), tf.int32)
        z = keras.random.normal(tf.stack([n, self.z_dim]), seed=self.seed_generator)
        drawn = self._images(self.generator(z, self.train_coords, scale=self.scale))
        return z_mean, z_log_sigma_sq, x_hat, tf.concat([x_hat, drawn], axis=0)

    def _d_loss(self, x):
        """D's loss on real x and on freshly generated fakes (reconstructions of x, and prior samples if asked)."""
        fakes = self._fakes(x)[3]
        d_real = self.discriminator(x, training=True)
        d_fake = self.discriminator(tf.stop_gradient(fakes), training=True)
        return discriminator_loss(d_real, d_fake)[0]

    @staticmethod
    def _replica_share(loss):
        """The loss each replica differentiates: optimizers sum the replicas' gradients, so divide by their number."""
        return loss / tf.distribute.get_replica_context().num_replicas_in_sync

    def _vae_step(self, x):
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat = self._reconstruct(x)
            loss = self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
            share = self._replica_share(loss)
        variables = self.qg_variables
        self.vae_optimizer.apply_gradients(zip(tape.gradient(share, variables), variables))
        return loss

    def _g_step(self, x):
        """One step on balanced_loss = g_loss + vae_loss over Q and G; returns g_loss."""
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat, fakes = self._fakes(x)
            g_loss = generator_loss(self.discriminator(fakes, training=True))
            share = self._replica_share(g_loss + self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq))
        variables = self.qg_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(share, variables), variables))
        return g_loss

    def _d_step(self, x):
        with tf.GradientTape() as tape:
            loss = self._d_loss(x)
            share = self._replica_share(loss)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(share, variables), variables))
        return loss

    def _rule_settings(self):
        """The rule's parameters as tensors: changed between batches, they apply without retracing."""
        return (
            tf.constant(self.n_vae_steps),
            tf.constant(self.n_handicap),
            tf.constant(self.g_stop_loss, tf.float32),
            tf.constant(self.th_low, tf.float32),
            tf.constant(self.th_high, tf.float32),
            tf.constant(self.n_d_steps),
        )

    def _rule(self, step, n_vae_steps, n_handicap, g_stop_loss, th_low, th_high, n_d_steps):
        """Ha's per-batch rule; each loss is the one its step saw before updating.

        `step(fn)` runs one of `_vae_step`, `_g_step`, `_d_loss`, `_d_step` on
        the batch and returns its loss: directly on one device, or on every
        replica with the losses averaged, so the loops and the gate decide
        the same way everywhere. Traced inside a `tf.function`, where
        AutoGraph turns the early-stopping loops and the gate into graph control flow.
        """
        counter = tf.constant(0)
        vae = tf.constant(0.0)
        for _ in tf.range(n_vae_steps):
            vae = step(self._vae_step)
            counter += 1
        g = tf.constant(0.0)
        for _ in tf.range(n_handicap):
            g = step(self._g_step)
            counter += 1
            if g < g_stop_loss:
                break
        d = step(self._d_loss)
        if d > th_low and g < th_high:
            for _ in tf.range(n_d_steps):
                d = step(self._d_step)
                counter += 1
                if d < th_low:
                    break
        return d, g, vae, counter

    @tf.function(reduce_retracing=True)
    def _train_rule(self, x, *settings):
        """The rule on one device (Keras does not AutoGraph-convert `train_step`, so this is the compiled unit)."""
        return self._rule(lambda fn: fn(x), *settings)

    def train_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        losses = self._train_rule(x, *self._rule_settings())
        self._track(losses)
        return {tracker.name: tracker.result() for tracker in self.trackers}

    def make_train_function(self, force=False):
        """Under a multi-replica strategy, run the rule's decisions in Python, each step compiled.

        Keras would call `train_step` inside `strategy.run`, where an
        optimizer's all-reduce cannot sit inside the rule's loops and gate,
        and a step traced inside graph control flow loses its gradients.
        So each of the rule's steps is its own compiled `strategy.run` (its
        gradients all-reduced) returning the replicas' mean loss, and the
        loops and gate branch on those means: the same decision on every replica.
        """
        strategy = self.distribute_strategy
        if strategy.num_replicas_in_sync == 1:
            return super().make_train_function(force)
        if self.train_function is not None and not force:
            return self.train_function

        def on_replicas(fn):
            return tf.function(lambda x: strategy.reduce("MEAN", strategy.run(fn, args=(x,)), axis=None))

        compiled = {fn: on_replicas(fn) for fn in (self._vae_step, self._g_step, self._d_loss, self._d_step)}
        track = tf.function(lambda losses: strategy.run(self._track, args=(losses,)))

        def train_function(iterator):
            data = next(iterator)
            x = data[0] if isinstance(data, (tuple, list)) else data
            losses = self._rule(lambda fn: compiled[fn](x), *self._rule_settings())
            track(tuple(tf.cast(value, tf.float32) for value in losses))
            return {tracker.name: tracker.result() for tracker in self.trackers}

        self.train_function = train_function
        return self.train_function

    def _track(self, losses):
        """Add one batch's (d, g, vae, counter) to the epoch means."""
        for tracker, value in zip(self.trackers, losses):
            tracker.update_state(tf.cast(value, tf.float32))

    def partial_train(self, batch):
        """Train on one batch with Ha's rule → (d_loss, g_loss, vae_loss, counter).

        `counter` is the number of optimizer steps taken. Compiles with the
        default optimizers on first use, as upstream built them in its constructor.
        """
        if not self.compiled:
            self.compile()
        d, g, vae, counter = self._train_rule(self._as_images(batch), *self._rule_settings())
        return float(d), float(g), float(vae), int(counter)

    # ----------------------------------------------------------------- upstream API

    def _as_images(self, X):
        X = np.asarray(X, dtype=np.float32)
        shape = (self.y_dim, self.x_dim, self.c_dim)
        size = int(np.prod(shape))
        # One flat image, or a batch whose every item holds one image's values.
        if X.size == 0 or (X.ndim <= 1 and X.size != size) or (X.ndim > 1 and X[0].size != size):
            raise ValueError(
                f"expected a batch of {self.y_dim}×{self.x_dim}×{self.c_dim} images "
                f"({size} values each), got an array of shape {X.shape}"
            )
        return X.reshape((-1,) + shape)

    def encode(self, X):
        """Images → z_mean, the latent vectors the encoder is most sure of."""
        z_mean, _ = self.encoder(self._as_images(X), training=False)
        return z_mean.numpy()

    def generate(self, z=None, x_dim=26, y_dim=26, scale=5.0, memory_mb=None):
        """Draw images of any size → [batch, y_dim, x_dim, c_dim] floats in [0, 1].

        `z` defaults to `batch_size` draws from N(0, 1). Large images are drawn
        in bands of rows holding at most `memory_mb` of activations
        (render.RENDER_MEMORY_MB by default), whatever the resolution.
        """
        if z is None:
            z = np.random.normal(size=(self.batch_size, self.z_dim))
        return render(self.generator, z, x_dim, y_dim, scale, memory_mb)

    def _checkpoint(self, optimizers=True):
        objects = dict(
            encoder=self.encoder,
            generator=self.generator,
            discriminator=self.discriminator,
            epoch=tf.Variable(0, dtype=tf.int64),
        )
        if optimizers and self.compiled:
            objects.update(
                d_optimizer=self.d_optimizer,
                g_optimizer=self.g_optimizer,
                vae_optimizer=self.vae_optimizer,
            )
        return tf.train.Checkpoint(**objects)

    def save_model(self, checkpoint_path="save", epoch=0, max_to_keep=5, include_optimizer=True):
        """Write `checkpoint_path/model.ckpt-<epoch>` (weights, optimizer state, epoch).

        `include_optimizer=False` writes the weights alone (a quarter of the
        size): enough to draw, and to train on with fresh optimizers.
        TensorFlow writes the files under temporary names and only then points
        `checkpoint_path/checkpoint` at them, so a save killed half-way leaves
        the previous checkpoint the latest one, whole.
        """
        checkpoint = self._checkpoint(optimizers=include_optimizer)
        checkpoint.epoch.assign(epoch)
        manager = tf.train.CheckpointManager(
            checkpoint, checkpoint_path, max_to_keep=max_to_keep, checkpoint_name=CHECKPOINT_NAME
        )
        return manager.save(checkpoint_number=epoch)

    def load_model(self, checkpoint_path="save"):
        """Restore the latest checkpoint in a directory (or a given prefix) → its epoch.

        Optimizer state is restored too when the model is compiled and the
        checkpoint has it; `optimizer_state_restored` says whether it did.
        The default optimizers keep this model's learning rates (a checkpoint
        stores its own), so a resumed run can train on with lower ones.
        """
        path = tf.train.latest_checkpoint(checkpoint_path) if os.path.isdir(checkpoint_path) else checkpoint_path
        if not path or not tf.io.gfile.exists(path + ".index"):
            raise CheckpointError(
                f"no checkpoint found at {checkpoint_path!r}: train one with `python train.py "
                f"--save_dir {checkpoint_path}` or pass the folder that holds the `checkpoint` file"
            )
        has_optimizers = any(name.startswith("g_optimizer/") for name, _ in tf.train.list_variables(path))
        checkpoint = self._checkpoint(optimizers=has_optimizers)
        try:
            checkpoint.restore(path).expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as error:
            raise CheckpointError(
                f"checkpoint {path!r} does not fit this model ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:300]}); was it written with other settings "
                f"(see config.json beside it)?"
            ) from None
        self.optimizer_state_restored = bool(self.compiled and has_optimizers)
        for name in getattr(self, "_own_optimizers", ()):
            getattr(self, name).learning_rate.assign(getattr(self, LEARNING_RATE_OF[name]))
        return int(checkpoint.epoch.numpy())

    def close(self):
        """Upstream closed its TensorFlow session here; TF 2 has none, so nothing to do."""


def load_trained(model_dir="save", batch_size=1):
    """The CPPNVAE a training run left in `model_dir`, built from its config.json → (model, config, epoch)."""
    config = {}
    config_path = os.path.join(model_dir, "config.json")
    if os.path.exists(config_path):
        with open(config_path) as f:
            config = json.load(f)
    if not os.path.exists(os.path.join(model_dir, "checkpoint")):
        raise CheckpointError(
            f"no trained model in {model_dir!r} (expected a `checkpoint` file from train.py there). "
            f"Train one with `python train.py --save_dir {model_dir}`, pass model_dir=..., or for "
            f"random-weight art give art settings: Sampler(z_dim=8, scale=10.0, net_size=32)"
        )
    model = CPPNVAE(**dict(config.get("model", {}), batch_size=batch_size))
    epoch = model.load_model(model_dir)
    return model, config, epoch
