"""The networks, the losses and the training rules of the posts' trained CPPNs.

Sub-models hold upstream's variable groups: the encoder Q, the CPPN
generator G and the discriminator (or critic) D. One class per training rule:

- `CPPNVAE` (systems B and C): Ha's `partial_train` rule (N_handicap
  generator steps, loss-gated discriminator step), in grey or colour;
- `ResidualCPPNVAE` (system D): a deep residual CPPN against an 11-class
  classifier critic, with its accuracy-gated rule;
- `CPPNWGANGP` (system E): a CPPN against a Wasserstein critic with
  gradient penalty, no encoder.

`TrainedCPPN` holds what they share (optimizers, checkpoints, drawing).
Each rule runs batch by batch (`partial_train`) or through `fit()`.
"""

import collections
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


def build_discriminator(x_dim=26, y_dim=26, c_dim=1, df_dim=24, n_classes=None):
    """D: DCGAN-style conv stack → probability that the image is real.

    With `n_classes` (system D) the head is a softmax over the classes and
    one more, "fake", instead of one sigmoid.
    """
    head = [linear(1, name="d_h3_lin"), keras.layers.Activation("sigmoid")]
    if n_classes:
        head = [linear(n_classes + 1, name="d_h3_lin"), keras.layers.Softmax()]
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
            *head,
        ],
        name="discriminator",
    )


def build_critic(x_dim=28, y_dim=28, c_dim=1, dim=64):
    """WGAN-GP critic (system E): conv 5×5 stride 2 with relu, dim·1/2/4 filters → one score; no BN, no sigmoid."""
    layers = [keras.Input(shape=(y_dim, x_dim, c_dim))]
    for i, filters in enumerate((dim, dim * 2, dim * 4)):
        layers += [conv2d(filters, name=f"critic_h{i}_conv"), keras.layers.ReLU()]
    layers += [keras.layers.Flatten(), linear(1, name="critic_score")]
    return keras.Sequential(layers, name="discriminator")


OUTPUTS = {
    "sigmoid": tf.sigmoid,
    "sinusoid": lambda h: 0.5 * tf.sin(h) + 0.5,
    "sqrt_abs_tanh": lambda h: tf.sqrt(1.0 - tf.abs(tf.tanh(h))),
}
# first: activation of U. steps: the hidden layers' activations for each of the
# depth - 1 steps, cycled (a step of several activations is several layers).
# residual: each step adds to H instead of replacing it (H = H + step(H)).
# stddevs: per layer of a step, the N(0, s²) of its weights and biases (default: the generator's).
# blocks: depth counts the steps (residual blocks), not the layers with U's among them.
Architecture = collections.namedtuple("Architecture", "first steps output residual stddevs blocks",
                                      defaults=(False, None, False))
ARCHITECTURES = {
    "cppnvae": Architecture("softplus", (("tanh",),), "sigmoid"),  # system B, trained on MNIST
    "tanh": Architecture("tanh", (("tanh",),), "sigmoid"),  # system A's default; C's smooth, curved frogs; E
    "softplus_tanh": Architecture("tanh", (("softplus",), ("tanh",)), "sigmoid"),
    "sinusoid": Architecture("tanh", (("softplus",), ("tanh",)), "sinusoid"),
    "sqrt_abs_tanh": Architecture("tanh", (("tanh",),), "sqrt_abs_tanh"),
    "residual": Architecture("tanh", (("tanh",),), "sigmoid", residual=True),  # H = H + tanh(FC(H))
    "relu_tanh": Architecture("relu", (("tanh",),), "sigmoid"),  # system C's trucks: rigid lines
    "frog": Architecture("relu", (("tanh", "relu"),), "sigmoid"),  # system C's frogs: tanh then relu per step
    # System D: 4 relu layers with large weights, then a tanh layer with tiny ones, added to H.
    "resnet": Architecture("tanh", (("relu",) * 4 + ("tanh",),), "sigmoid", True, (1.0,) * 4 + (0.001,), True),
}


@keras.saving.register_keras_serializable(package="cppn")
class Generator(keras.Model):
    """The CPPN: the same small network evaluated once per pixel coordinate.

    `U = FC(z·scale) + FC_nobias(x) + FC_nobias(y) + FC_nobias(r)`, then
    `depth - 1` steps of hidden layers (`depth` residual blocks for
    "resnet") and an output layer, with the
    activations of `architecture` (see `ARCHITECTURES`). z is projected once
    per image and broadcast to every pixel, which equals upstream's tiling of
    z. `use_radius=False` drops the r input (system C's option);
    `scale_z=False` feeds z unscaled (system E).
    """

    def __init__(self, z_dim=32, c_dim=1, net_size=128, depth=4, architecture="cppnvae", stddev=0.1,
                 use_radius=True, scale_z=True, **kwargs):
        super().__init__(**kwargs)
        if architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}")
        self.z_dim, self.c_dim, self.net_size, self.depth = z_dim, c_dim, net_size, depth
        self.architecture, self.stddev, self.use_radius, self.scale_z = architecture, stddev, use_radius, scale_z
        self.n_coords = 3 if use_radius else 2
        spec = ARCHITECTURES[architecture]
        self.first_activation = keras.activations.get(spec.first)
        self.output_function = OUTPUTS[spec.output]
        self.z_input = cppn_dense(net_size, stddev=stddev, name="g_0_z")
        # One kernel row per coordinate: the same N(0, stddev²) weights as separate bias-free layers.
        self.xyr_input = cppn_dense(net_size, use_bias=False, stddev=stddev, name="g_0_xyr")
        steps = []
        for i in range(1, depth + 1 if spec.blocks else depth):
            activations = spec.steps[(i - 1) % len(spec.steps)]
            stddevs = spec.stddevs or (stddev,) * len(activations)
            names = [f"g_{a}_{i}" if len(activations) == 1 else f"g_{a}_{i}_{j}" for j, a in enumerate(activations)]
            layers = [cppn_dense(net_size, activation=a, stddev=s, name=n) for a, s, n in zip(activations, stddevs, names)]
            if spec.residual:
                block = layers[0] if len(layers) == 1 else keras.Sequential(layers, name=f"g_block_{i}")
                steps.append(Residual(block))
            else:
                steps.extend(layers)
        # A Sequential, not a list: TensorFlow checkpoints do not see layers held in Python lists.
        self.hidden = keras.Sequential(steps or [keras.layers.Identity()], name="g_hidden")
        self.output_layer = cppn_dense(c_dim, stddev=stddev, name="g_out")
        self.z_input.build((None, z_dim))
        self.xyr_input.build((None, self.n_coords))
        self.hidden.build((None, net_size))
        self.output_layer.build((None, net_size))
        self.built = True

    def call(self, z, coords, scale):
        """z [batch, z_dim], coords [pixels, 3] (x, y, r) → intensities [batch, pixels, c_dim]."""
        batch, pixels = tf.shape(z)[0], tf.shape(coords)[0]
        z = z * scale if self.scale_z else z
        u = self.z_input(z)[:, None, :] + self.xyr_input(coords[:, : self.n_coords])[None, :, :]
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
        names = "z_dim c_dim net_size depth architecture stddev use_radius scale_z".split()
        return {**super().get_config(), **{name: getattr(self, name) for name in names}}


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


def l2_reconstruction_loss(x, x_hat):
    """System C's colour loss: Σ 2·(x − x̂)² over each image's values → [batch]."""
    x = tf.reshape(x, [tf.shape(x)[0], -1])
    x_hat = tf.reshape(x_hat, [tf.shape(x_hat)[0], -1])
    return tf.reduce_sum(2.0 * tf.square(x - x_hat), axis=1)


RECONSTRUCTION_LOSSES = {"bernoulli": reconstruction_loss, "l2": l2_reconstruction_loss}


def kl_divergence(z_mean, z_log_sigma_sq):
    """KL(N(z_mean, σ²) ‖ N(0, 1)) summed over z → [batch]."""
    return -0.5 * tf.reduce_sum(
        1.0 + z_log_sigma_sq - tf.square(z_mean) - tf.exp(z_log_sigma_sq), axis=1
    )


def vae_loss(x, x_hat, z_mean, z_log_sigma_sq, n_points, reconstruction="bernoulli"):
    """Batch mean of (reconstruction + KL), per pixel as upstream reports it."""
    per_image = RECONSTRUCTION_LOSSES[reconstruction](x, x_hat) + kl_divergence(z_mean, z_log_sigma_sq)
    return tf.reduce_mean(per_image) / n_points


def discriminator_loss(d_real, d_fake):
    """(d_loss, d_loss_real, d_loss_fake): D's cross-entropy on real and generated images."""
    d_loss_real = tf.reduce_mean(-tf.math.log(d_real + GAN_EPS))
    d_loss_fake = tf.reduce_mean(-tf.math.log(1.0 - d_fake + GAN_EPS))
    return (d_loss_real + d_loss_fake) / 2.0, d_loss_real, d_loss_fake


def generator_loss(d_fake):
    """G's loss: how sure D is that the generated images are fake (ln 2 when D is unsure)."""
    return tf.reduce_mean(-tf.math.log(d_fake + GAN_EPS))


def classifier_loss(labels, probabilities):
    """(cross-entropy, accuracy) of class probabilities against integer labels, batch means."""
    labels = tf.cast(labels, tf.int64)
    loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, probabilities))
    hits = tf.cast(tf.equal(tf.argmax(probabilities, axis=-1), labels), tf.float32)
    return loss, tf.reduce_mean(hits)


def gradient_penalty(critic, real, fake, seed_generator):
    """WGAN-GP: mean (‖∇ critic(x̃)‖ − 1)² at random points x̃ between real and fake images."""
    alpha = keras.random.uniform([tf.shape(real)[0], 1, 1, 1], seed=seed_generator)
    between = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(between)
        scores = critic(between, training=True)
    gradients = tape.gradient(scores, between)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def _minimize(optimizer, tape, loss, variables):
    """One optimizer step on `loss` (recorded on `tape`) over `variables`.

    Under a multi-replica strategy the optimizer sums the replicas'
    gradients, so each replica's share is its gradient ÷ their number.
    """
    replicas = tf.distribute.get_replica_context().num_replicas_in_sync
    gradients = tape.gradient(loss, variables)
    if replicas > 1:
        gradients = [None if g is None else g / replicas for g in gradients]
    optimizer.apply_gradients(zip(gradients, variables))


# --------------------------------------------------------------------------- what the trained models share


class TrainedCPPN(keras.Model):
    """A CPPN generator trained against a discriminator: the plumbing every training rule shares.

    Subclasses set `system` (the name checkpoints record), `CONFIG` (the
    constructor settings `get_config` returns), `LEARNING_RATE_OF` (each
    optimizer attribute → the setting holding its learning rate), build
    `generator` and `discriminator`, and give `_optimizer_variables()`.
    """

    system = None
    CONFIG = ()
    LEARNING_RATE_OF = {}
    has_encoder = False
    beta2 = 0.999
    clip_norm = None

    def get_config(self):
        return {name: getattr(self, name) for name in self.CONFIG}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def metrics(self):
        return self.trackers

    @property
    def images_per_step(self):
        """Training images one `train_step` consumes."""
        return self.batch_size

    def _networks(self):
        return dict(generator=self.generator, discriminator=self.discriminator)

    def _training_state(self, seed):
        """What every rule trains with: the training-size coordinates, seeded noise, the epoch trackers."""
        self.train_coords = tf.constant(coordinates(self.x_dim, self.y_dim, self.scale))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name) for name in self.LOSSES]
        self.built = True

    def _draw(self, z):
        """Latents → images at the training size and scale, [batch, y_dim, x_dim, c_dim]."""
        pixels = self.generator(z, self.train_coords, scale=self.scale)
        return tf.reshape(pixels, [-1, self.y_dim, self.x_dim, self.c_dim])

    def _batch(self, data):
        """What the rule's steps take from one element of the data: the images."""
        return data[0] if isinstance(data, (tuple, list)) else data

    def _compiled_for_partial_train(self):
        """Compile with the default optimizers on first use, as upstream built them in its constructor."""
        if not self.compiled:
            self.compile()

    def _adam(self, learning_rate):
        # epsilon 1e-8 is TensorFlow 1's AdamOptimizer default.
        return keras.optimizers.Adam(learning_rate, beta_1=self.beta1, beta_2=self.beta2, epsilon=1e-8,
                                     global_clipnorm=self.clip_norm)

    def _compile_optimizers(self, given, **kwargs):
        """Set the optimizers: those `given`, else Adams at the model's learning rates.

        Each is built here, so its state exists before a checkpoint is restored into it.
        """
        super().compile(optimizer=None, **kwargs)
        variables = self._optimizer_variables()
        # The optimizers built here follow the model's learning rates, also after a restore.
        self._own_optimizers = tuple(name for name in self.LEARNING_RATE_OF if given.get(name) is None)
        for name, setting in self.LEARNING_RATE_OF.items():
            optimizer = given.get(name) or self._adam(getattr(self, setting))
            setattr(self, name, optimizer)
            optimizer.build(variables[name])

    def _track(self, losses):
        """Add one batch's figures to the epoch means, in `trackers` order."""
        for tracker, value in zip(self.trackers, losses):
            tracker.update_state(tf.cast(value, tf.float32))

    def encode(self, X):
        raise TypeError(
            f"this {self.system} model has no encoder, so it cannot encode images into z; "
            f"encoding needs a model trained with --model cppnvae or --model resnet"
        )

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
        objects = dict(self._networks(), epoch=tf.Variable(0, dtype=tf.int64))
        if optimizers and self.compiled:
            objects.update({name: getattr(self, name) for name in self.LEARNING_RATE_OF})
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
                f"checkpoint {path!r} does not fit this {self.system} model ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:300]}); was it written with other settings or another "
                f"--model (see config.json beside it)?"
            ) from None
        self.optimizer_state_restored = bool(self.compiled and has_optimizers)
        for name in getattr(self, "_own_optimizers", ()):
            getattr(self, name).learning_rate.assign(getattr(self, self.LEARNING_RATE_OF[name]))
        return int(checkpoint.epoch.numpy())

    def close(self):
        """Upstream closed its TensorFlow session here; TF 2 has none, so nothing to do."""


# --------------------------------------------------------------------------- system B (and C): Ha's rule


@keras.saving.register_keras_serializable(package="cppn")
class CPPNVAE(TrainedCPPN):
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

    System C (colour) is this class with `c_dim=3` and its settings:
    `architecture` (see `ARCHITECTURES`; "frog" for the post's frogs),
    `use_radius=False` to drop the r input, `reconstruction="l2"`.
    """

    system = "cppnvae"
    has_encoder = True
    CONFIG = (
        "batch_size z_dim x_dim y_dim c_dim scale learning_rate learning_rate_d "
        "learning_rate_vae beta1 net_size_g net_depth_g net_size_q keep_prob df_dim "
        "model_name n_vae_steps n_handicap g_stop_loss th_low th_high n_d_steps prior_samples "
        "architecture use_radius reconstruction"
    ).split()
    LEARNING_RATE_OF = {"d_optimizer": "learning_rate_d", "g_optimizer": "learning_rate", "vae_optimizer": "learning_rate_vae"}
    LOSSES = ("d_loss", "g_loss", "vae_loss", "n_op")

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
        architecture="cppnvae",
        use_radius=True,
        reconstruction="bernoulli",
        seed=None,
        **kwargs,
    ):
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        if reconstruction not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"unknown reconstruction loss {reconstruction!r}; choose one of {', '.join(RECONSTRUCTION_LOSSES)}")
        self.batch_size, self.z_dim = batch_size, z_dim
        self.x_dim, self.y_dim, self.c_dim, self.scale = x_dim, y_dim, c_dim, scale
        self.learning_rate, self.learning_rate_d = learning_rate, learning_rate_d
        self.learning_rate_vae, self.beta1 = learning_rate_vae, beta1
        self.net_size_g, self.net_depth_g, self.net_size_q = net_size_g, net_depth_g, net_size_q
        self.keep_prob, self.df_dim, self.model_name = keep_prob, df_dim, model_name
        self.n_vae_steps, self.n_handicap, self.g_stop_loss = n_vae_steps, n_handicap, g_stop_loss
        self.th_low, self.th_high, self.n_d_steps = th_low, th_high, n_d_steps
        self.prior_samples = prior_samples
        self.architecture, self.use_radius, self.reconstruction = architecture, use_radius, reconstruction
        self.n_points = x_dim * y_dim

        self.encoder = build_encoder(x_dim, y_dim, c_dim, z_dim, net_size_q, keep_prob)
        self.generator = Generator(z_dim, c_dim, net_size_g, net_depth_g, architecture, use_radius=use_radius,
                                   name="generator")
        self.discriminator = self._build_discriminator()
        self._training_state(seed)

    # ----------------------------------------------------------------- keras plumbing

    def _build_discriminator(self):
        return build_discriminator(self.x_dim, self.y_dim, self.c_dim, self.df_dim)

    def _networks(self):
        return dict(encoder=self.encoder, **super()._networks())

    @property
    def qg_variables(self):
        """Encoder and generator weights: what the VAE and G optimizers train."""
        return self.encoder.trainable_variables + self.generator.trainable_variables

    def _optimizer_variables(self):
        return dict(d_optimizer=self.discriminator.trainable_variables, g_optimizer=self.qg_variables,
                    vae_optimizer=self.qg_variables)

    def compile(self, d_optimizer=None, g_optimizer=None, vae_optimizer=None, **kwargs):
        """Set the three optimizers; by default upstream's Adams with `beta1`."""
        self._compile_optimizers(dict(d_optimizer=d_optimizer, g_optimizer=g_optimizer, vae_optimizer=vae_optimizer),
                                 **kwargs)

    def call(self, x, training=False):
        """Autoencode: images → reconstructions through z_mean, at the images' size."""
        z_mean, _ = self.encoder(x, training=training)
        return self._draw(z_mean)

    # ----------------------------------------------------------------- the training rule

    def _reconstruct(self, x):
        """Encode with fresh noise and draw: (z_mean, z_log_sigma_sq, x_hat)."""
        z_mean, z_log_sigma_sq = self.encoder(x, training=True)
        eps = keras.random.normal(tf.shape(z_mean), seed=self.seed_generator)
        z = z_mean + tf.sqrt(tf.exp(z_log_sigma_sq)) * eps
        x_hat = self._draw(z)
        return z_mean, z_log_sigma_sq, x_hat

    def _vae_loss(self, x, x_hat, z_mean, z_log_sigma_sq):
        return vae_loss(x, x_hat, z_mean, z_log_sigma_sq, self.n_points, self.reconstruction)

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
        drawn = self._draw(z)
        return z_mean, z_log_sigma_sq, x_hat, tf.concat([x_hat, drawn], axis=0)

    def _d_loss(self, x):
        """D's loss on real x and on freshly generated fakes (reconstructions of x, and prior samples if asked)."""
        fakes = self._fakes(x)[3]
        d_real = self.discriminator(x, training=True)
        d_fake = self.discriminator(tf.stop_gradient(fakes), training=True)
        return discriminator_loss(d_real, d_fake)[0]

    def _vae_step(self, x):
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat = self._reconstruct(x)
            loss = self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
        _minimize(self.vae_optimizer, tape, loss, self.qg_variables)
        return loss

    def _g_step(self, x):
        """One step on balanced_loss = g_loss + vae_loss over Q and G; returns g_loss."""
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat, fakes = self._fakes(x)
            g_loss = generator_loss(self.discriminator(fakes, training=True))
            balanced = g_loss + self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
        _minimize(self.g_optimizer, tape, balanced, self.qg_variables)
        return g_loss

    def _d_step(self, x):
        with tf.GradientTape() as tape:
            loss = self._d_loss(x)
        _minimize(self.d_optimizer, tape, loss, self.discriminator.trainable_variables)
        return loss

    def _rule_steps(self):
        """The step functions `_rule` runs, each on one batch."""
        return (self._vae_step, self._g_step, self._d_loss, self._d_step)

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
        """Ha's per-batch rule → (d_loss, g_loss, vae_loss, counter); each loss is the one its step saw before updating.

        `step(fn)` runs one of `_rule_steps()` on the batch and returns its
        loss: directly on one device, or on every replica with the losses
        averaged, so the loops and the gate decide the same way everywhere.
        Traced inside a `tf.function`, where AutoGraph turns the
        early-stopping loops and the gate into graph control flow.
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
    def _train_rule(self, batch, *settings):
        """The rule on one device (Keras does not AutoGraph-convert `train_step`, so this is the compiled unit)."""
        return self._rule(lambda fn: fn(batch), *settings)

    def train_step(self, data):
        self._track(self._train_rule(self._batch(data), *self._rule_settings()))
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
            return tf.function(lambda batch: strategy.reduce("MEAN", strategy.run(fn, args=(batch,)), axis=None))

        compiled = {fn: on_replicas(fn) for fn in self._rule_steps()}
        track = tf.function(lambda losses: strategy.run(self._track, args=(losses,)))

        def train_function(iterator):
            batch = self._batch(next(iterator))
            losses = self._rule(lambda fn: compiled[fn](batch), *self._rule_settings())
            track(tuple(tf.cast(value, tf.float32) for value in losses))
            return {tracker.name: tracker.result() for tracker in self.trackers}

        self.train_function = train_function
        return self.train_function

    def partial_train(self, batch):
        """Train on one batch with Ha's rule → (d_loss, g_loss, vae_loss, counter).

        `counter` is the number of optimizer steps taken.
        """
        self._compiled_for_partial_train()
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


# --------------------------------------------------------------------------- system D: the classifier critic


@keras.saving.register_keras_serializable(package="cppn")
class ResidualCPPNVAE(CPPNVAE):
    """System D: a deep, narrow residual CPPN against a classifier critic.

    D classifies real images into the data's `n_classes` and generated ones
    into one more class, "fake"; G (with Q) wins when D gives its
    reconstructions the labels of the batch they came from. No pixel loss:
    the VAE part is the KL term alone. Every optimizer clips gradients to a
    global norm of `clip_norm`.

    Rule parameters (defaults from the post's code):
    - `n_handicap`: up to this many generator steps (16), stopping once
      D's accuracy on the reconstructions exceeds `g_stop_accuracy` (0.98);
    - then D is judged: if its accuracy on fakes is below `d_fake_low` (0.7)
      and the generator's above `g_gate_accuracy` (0.6), up to `n_d_steps`
      (8) D steps on the whole loss, stopping once fake accuracy exceeds
      `d_fake_stop` (0.75); else, if its accuracy on real images is below
      `d_real_low` (0.6), up to `n_d_steps` steps on the real loss alone,
      stopping once it exceeds `d_real_stop` (0.7);
    - `n_vae_steps` (0): KL-only steps on Q before all that; upstream built
      this optimizer but its rule did not call it.
    """

    system = "resnet"
    CONFIG = (
        "batch_size z_dim x_dim y_dim c_dim scale learning_rate learning_rate_d learning_rate_vae beta1 "
        "net_size_g net_depth_g net_size_q keep_prob df_dim model_name n_classes clip_norm vae_weight "
        "n_vae_steps n_handicap g_stop_accuracy d_fake_low g_gate_accuracy d_fake_stop d_real_low d_real_stop "
        "n_d_steps architecture use_radius"
    ).split()
    LEARNING_RATE_OF = dict(CPPNVAE.LEARNING_RATE_OF, d_real_optimizer="learning_rate_d")
    LOSSES = ("d_loss", "g_loss", "vae_loss", "n_op", "g_accuracy", "d_real_accuracy", "d_fake_accuracy")

    def __init__(self, batch_size=1, z_dim=32, x_dim=26, y_dim=26, c_dim=1, scale=8.0, learning_rate=0.01,
                 learning_rate_d=0.001, learning_rate_vae=0.0001, beta1=0.9, net_size_g=6, net_depth_g=24,
                 net_size_q=512, keep_prob=1.0, df_dim=32, model_name="rescppnvae", n_classes=10, clip_norm=5.0,
                 vae_weight=10.0, n_vae_steps=0, n_handicap=16, g_stop_accuracy=0.98, d_fake_low=0.7,
                 g_gate_accuracy=0.6, d_fake_stop=0.75, d_real_low=0.6, d_real_stop=0.7, n_d_steps=8,
                 architecture="resnet", use_radius=True, seed=None, **kwargs):
        self.n_classes, self.clip_norm, self.vae_weight = n_classes, clip_norm, vae_weight
        self.g_stop_accuracy, self.d_fake_low, self.g_gate_accuracy = g_stop_accuracy, d_fake_low, g_gate_accuracy
        self.d_fake_stop, self.d_real_low, self.d_real_stop = d_fake_stop, d_real_low, d_real_stop
        super().__init__(batch_size, z_dim, x_dim, y_dim, c_dim, scale, learning_rate, learning_rate_d,
                         learning_rate_vae, beta1, net_size_g, net_depth_g, net_size_q, keep_prob, df_dim,
                         model_name, n_vae_steps=n_vae_steps, n_handicap=n_handicap, n_d_steps=n_d_steps,
                         architecture=architecture, use_radius=use_radius, seed=seed, **kwargs)

    def _build_discriminator(self):
        return build_discriminator(self.x_dim, self.y_dim, self.c_dim, self.df_dim, n_classes=self.n_classes)

    def _optimizer_variables(self):
        variables = super()._optimizer_variables()
        # KL-only steps move Q alone: G gets no gradient from the KL term.
        return dict(variables, vae_optimizer=self.encoder.trainable_variables,
                    d_real_optimizer=self.discriminator.trainable_variables)

    def compile(self, d_optimizer=None, d_real_optimizer=None, g_optimizer=None, vae_optimizer=None, **kwargs):
        """Set the four optimizers; by default Adams with `beta1`, clipped to a global norm of `clip_norm`."""
        self._compile_optimizers(dict(d_optimizer=d_optimizer, d_real_optimizer=d_real_optimizer,
                                      g_optimizer=g_optimizer, vae_optimizer=vae_optimizer), **kwargs)

    def _batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("the resnet model trains on (images, labels) batches: its critic is a classifier")
        return data[0], data[1]

    def _kl(self, z_mean, z_log_sigma_sq):
        return tf.reduce_mean(kl_divergence(z_mean, z_log_sigma_sq)) / self.n_points

    def _vae_step(self, batch):
        x, _ = batch
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq = self.encoder(x, training=True)
            loss = self._kl(z_mean, z_log_sigma_sq)
        _minimize(self.vae_optimizer, tape, loss, self.encoder.trainable_variables)
        return loss

    def _g_step(self, batch):
        """One step on g_loss + vae_weight · KL over Q and G → (g_loss, g_accuracy, vae_loss)."""
        x, labels = batch
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat = self._reconstruct(x)
            g_loss, g_accuracy = classifier_loss(labels, self.discriminator(x_hat, training=True))
            kl = self._kl(z_mean, z_log_sigma_sq)
            balanced = g_loss + self.vae_weight * kl
        _minimize(self.g_optimizer, tape, balanced, self.qg_variables)
        return g_loss, g_accuracy, kl

    def _d_losses(self, batch):
        """(d_loss, d_loss_real, real accuracy, fake accuracy) on x and fresh reconstructions of it."""
        x, labels = batch
        x_hat = tf.stop_gradient(self._reconstruct(x)[2])
        d_real, real_accuracy = classifier_loss(labels, self.discriminator(x, training=True))
        fake_labels = tf.fill(tf.shape(labels), tf.cast(self.n_classes, labels.dtype))
        d_fake, fake_accuracy = classifier_loss(fake_labels, self.discriminator(x_hat, training=True))
        d_loss = (self.n_classes * d_real + d_fake) / (self.n_classes + 1)
        return d_loss, d_real, real_accuracy, fake_accuracy

    def _d_eval(self, batch):
        d_loss, _, real_accuracy, fake_accuracy = self._d_losses(batch)
        return d_loss, real_accuracy, fake_accuracy

    def _d_step(self, batch):
        with tf.GradientTape() as tape:
            d_loss, _, real_accuracy, fake_accuracy = self._d_losses(batch)
        _minimize(self.d_optimizer, tape, d_loss, self.discriminator.trainable_variables)
        return d_loss, real_accuracy, fake_accuracy

    def _d_real_step(self, batch):
        with tf.GradientTape() as tape:
            d_loss, d_real, real_accuracy, fake_accuracy = self._d_losses(batch)
        _minimize(self.d_real_optimizer, tape, d_real, self.discriminator.trainable_variables)
        return d_loss, real_accuracy, fake_accuracy

    def _rule_steps(self):
        return (self._vae_step, self._g_step, self._d_eval, self._d_step, self._d_real_step)

    def _rule_settings(self):
        floats = (self.g_stop_accuracy, self.d_fake_low, self.g_gate_accuracy, self.d_fake_stop, self.d_real_low,
                  self.d_real_stop)
        return (tf.constant(self.n_vae_steps), tf.constant(self.n_handicap), tf.constant(self.n_d_steps),
                *(tf.constant(value, tf.float32) for value in floats))

    def _rule(self, step, n_vae_steps, n_handicap, n_d_steps, g_stop_accuracy, d_fake_low, g_gate_accuracy,
              d_fake_stop, d_real_low, d_real_stop):
        """The accuracy-gated rule → (d_loss, g_loss, vae_loss, counter, g_acc, d_real_acc, d_fake_acc)."""
        counter = tf.constant(0)
        vae = tf.constant(0.0)
        for _ in tf.range(n_vae_steps):
            vae = step(self._vae_step)
            counter += 1
        g, g_accuracy = tf.constant(0.0), tf.constant(0.0)
        for _ in tf.range(n_handicap):
            g, g_accuracy, vae = step(self._g_step)
            counter += 1
            if g_accuracy > g_stop_accuracy:
                break
        d, real_accuracy, fake_accuracy = step(self._d_eval)
        if fake_accuracy < d_fake_low and g_accuracy > g_gate_accuracy:
            for _ in tf.range(n_d_steps):
                d, real_accuracy, fake_accuracy = step(self._d_step)
                counter += 1
                if fake_accuracy > d_fake_stop:
                    break
        elif real_accuracy < d_real_low:
            for _ in tf.range(n_d_steps):
                d, real_accuracy, fake_accuracy = step(self._d_real_step)
                counter += 1
                if real_accuracy > d_real_stop:
                    break
        return d, g, vae, counter, g_accuracy, real_accuracy, fake_accuracy

    def partial_train(self, batch, labels):
        """Train on one labelled batch with the accuracy-gated rule → (d_loss, g_loss, vae_loss, counter).

        The accuracies join the model's metrics (`g_accuracy`, `d_real_accuracy`, `d_fake_accuracy`).
        """
        self._compiled_for_partial_train()
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        images = self._as_images(batch)
        if len(labels) != len(images) or labels.min() < 0 or labels.max() >= self.n_classes:
            raise ValueError(f"expected one label in 0..{self.n_classes - 1} per image, got {len(labels)} labels "
                             f"for {len(images)} images (range {labels.min()}..{labels.max()})")
        losses = self._train_rule((images, labels), *self._rule_settings())
        self._track(losses)
        d, g, vae, counter = losses[:4]
        return float(d), float(g), float(vae), int(counter)


# --------------------------------------------------------------------------- system E: WGAN-GP


@keras.saving.register_keras_serializable(package="cppn")
class CPPNWGANGP(TrainedCPPN):
    """System E: a CPPN generator against a Wasserstein critic with gradient penalty; no encoder.

    Each training step takes `n_critic` batches: one critic step on each
    (critic(fake) − critic(real) + `gp_lambda` · penalty), then one
    generator step on −critic(fake). z is N(0, 1) and enters the CPPN unscaled.
    """

    system = "wgan-gp"
    CONFIG = ("batch_size z_dim x_dim y_dim c_dim scale learning_rate learning_rate_d beta1 beta2 net_size_g "
              "net_depth_g architecture use_radius critic_dim n_critic gp_lambda model_name").split()
    LEARNING_RATE_OF = {"d_optimizer": "learning_rate_d", "g_optimizer": "learning_rate"}
    LOSSES = ("d_loss", "g_loss", "wasserstein", "gradient_penalty")

    def __init__(self, batch_size=50, z_dim=128, x_dim=28, y_dim=28, c_dim=1, scale=8.0, learning_rate=1e-4,
                 learning_rate_d=1e-4, beta1=0.5, beta2=0.9, net_size_g=128, net_depth_g=4, architecture="tanh",
                 use_radius=True, critic_dim=64, n_critic=5, gp_lambda=10.0, model_name="cppnwgangp", seed=None,
                 **kwargs):
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.batch_size, self.z_dim, self.x_dim, self.y_dim, self.c_dim = batch_size, z_dim, x_dim, y_dim, c_dim
        self.scale, self.learning_rate, self.learning_rate_d = scale, learning_rate, learning_rate_d
        self.beta1, self.beta2, self.net_size_g, self.net_depth_g = beta1, beta2, net_size_g, net_depth_g
        self.architecture, self.use_radius, self.critic_dim = architecture, use_radius, critic_dim
        self.n_critic, self.gp_lambda, self.model_name = n_critic, gp_lambda, model_name
        self.generator = Generator(z_dim, c_dim, net_size_g, net_depth_g, architecture, use_radius=use_radius,
                                   scale_z=False, name="generator")
        self.discriminator = build_critic(x_dim, y_dim, c_dim, critic_dim)
        self._training_state(seed)

    @property
    def images_per_step(self):
        return self.batch_size * self.n_critic

    def _optimizer_variables(self):
        return dict(d_optimizer=self.discriminator.trainable_variables,
                    g_optimizer=self.generator.trainable_variables)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set the critic's and generator's optimizers; by default Adam(1e-4, β 0.5, 0.9)."""
        self._compile_optimizers(dict(d_optimizer=d_optimizer, g_optimizer=g_optimizer), **kwargs)

    def call(self, z, training=False):
        """Latents → images at the training size."""
        return self._draw(z)

    def _prior(self, n):
        return keras.random.normal(tf.stack([n, self.z_dim]), seed=self.seed_generator)

    def _critic_step(self, real):
        fake = self._draw(self._prior(tf.shape(real)[0]))
        with tf.GradientTape() as tape:
            wasserstein = tf.reduce_mean(self.discriminator(real, training=True)) - tf.reduce_mean(
                self.discriminator(fake, training=True))
            penalty = gradient_penalty(self.discriminator, real, fake, self.seed_generator)
            d_loss = -wasserstein + self.gp_lambda * penalty
        _minimize(self.d_optimizer, tape, d_loss, self.discriminator.trainable_variables)
        return d_loss, wasserstein, penalty

    def _generator_step(self, n):
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.discriminator(self._draw(self._prior(n)), training=True))
        _minimize(self.g_optimizer, tape, g_loss, self.generator.trainable_variables)
        return g_loss

    def train_step(self, data):
        reals = tf.reshape(self._batch(data), [self.n_critic, -1, self.y_dim, self.x_dim, self.c_dim])
        for i in range(self.n_critic):
            d_loss, wasserstein, penalty = self._critic_step(reals[i])
        g_loss = self._generator_step(tf.shape(reals)[1])
        self._track((d_loss, g_loss, wasserstein, penalty))
        return {tracker.name: tracker.result() for tracker in self.trackers}

    @tf.function(reduce_retracing=True)
    def _train_once(self, x):
        return self.train_step(x)

    def partial_train(self, batch):
        """One generator step after `n_critic` critic steps; `batch` holds n_critic × batch_size images
        → (d_loss, g_loss, wasserstein estimate, gradient penalty), this batch's (epoch means in `metrics`)."""
        self._compiled_for_partial_train()
        images = np.asarray(batch, dtype=np.float32)
        shape = (self.y_dim, self.x_dim, self.c_dim)
        if images.size % (self.n_critic * int(np.prod(shape))) or images.size == 0:
            raise ValueError(f"expected n_critic × k images of shape {shape} (n_critic = {self.n_critic}), "
                             f"got an array of shape {images.shape}")
        for tracker in self.trackers:
            tracker.reset_state()
        return tuple(float(value) for value in self._train_once(images.reshape((-1,) + shape)).values())


SYSTEMS = {cls.system: cls for cls in (CPPNVAE, ResidualCPPNVAE, CPPNWGANGP)}


def load_trained(model_dir="save", batch_size=1):
    """The model a training run left in `model_dir`, built from its config.json → (model, config, epoch).

    config.json's "system" says which training rule made it (older runs: cppnvae).
    """
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
    system = config.get("system", CPPNVAE.system)
    if system not in SYSTEMS:
        raise CheckpointError(f"{config_path} names system {system!r}, which this version does not know "
                              f"(known: {', '.join(SYSTEMS)})")
    model = SYSTEMS[system](**dict(config.get("model", {}), batch_size=batch_size))
    epoch = model.load_model(model_dir)
    return model, config, epoch
