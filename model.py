"""Ha's CPPN-GAN-VAE (system B, and C in colour) and what every trained system shares.

Sub-models hold upstream's variable groups: the encoder Q, the CPPN generator
G (`cppn.Generator`) and the discriminator D. `TrainedCPPN` is the shared
base: settings (from `settings.py`), optimizers, checkpoints, drawing, and the
one rule runner — a system writes only its per-batch `rule`, and the base
runs it in `fit()` (`train_step`), across several devices, or batch by batch
(`partial_train`). The other systems live in `resnet.py` and `wgan_gp.py`.
"""

import os

import keras
import numpy as np
import tensorflow as tf

import settings
from cppn import Generator
from ops import BatchNorm, conv2d, coordinates, linear, lrelu
from render import render
from run_folder import CheckpointError

# Upstream's guards against log(0).
RECONSTRUCTION_EPS = 1e-10
GAN_EPS = 1e-12
CHECKPOINT_NAME = "model.ckpt"


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


# --------------------------------------------------------------------------- what every trained system shares


class TrainedCPPN(keras.Model):
    """A CPPN generator trained against an adversary: settings, optimizers, checkpoints, drawing, the rule runner.

    A system (a subclass) names itself (`system`, its key in
    `settings.SYSTEMS`), lists its sub-networks (`NETWORKS`) and its figures
    per batch (`FIGURES`, the epoch metrics), and writes:

    - `build_networks()`: its sub-networks, from its settings;
    - `optimizer_variables()`: {optimizer attribute: the variables it trains};
      `OPTIMIZERS` maps each optimizer to the setting holding its learning rate;
    - `rule(step, s)`: the per-batch training rule, top to bottom. `step(fn, *args)`
      runs one step method on the batch and returns its figures; `s` holds
      the system's "rule" settings by name, as tensors. It returns `FIGURES`.

    The constructor takes the system's settings (`settings.DEFAULTS`), by
    position or name, plus `seed` for the rule's noise.
    """

    system = None
    NETWORKS = ()
    OPTIMIZERS = {}
    FIGURES = ()
    has_encoder = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.system:
            cls.__signature__ = settings.signature(cls.system)

    def __init__(self, *args, seed=None, **kwargs):
        values, keras_kwargs = settings.bind(self.system, args, kwargs)
        keras_kwargs.setdefault("name", values.get("model_name"))
        super().__init__(**keras_kwargs)
        for name, value in values.items():
            setattr(self, name, value)
        self.n_points = self.x_dim * self.y_dim
        self.build_networks()
        self.train_coords = tf.constant(coordinates(self.x_dim, self.y_dim, self.scale))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name) for name in self.FIGURES]
        self.Rule = settings.rule_tuple(self.system)
        self.batches_done = 0  # into the epoch after the restored one (load_model)
        self.built = True

    def get_config(self):
        return {name: getattr(self, name) for name in settings.DEFAULTS[self.system]}

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

    # ----------------------------------------------------------------- optimizers

    def compile(self, **kwargs):
        """Set the optimizers, by attribute name (e.g. `g_optimizer=...`); the others are Adams at the model's
        learning rates and `beta1` (clipped to `clip_norm` where the system has one).

        Each is built here, so its state exists before a checkpoint is restored into it.
        """
        given = {name: kwargs.pop(name, None) for name in self.OPTIMIZERS}
        super().compile(optimizer=None, **kwargs)
        variables = self.optimizer_variables()
        # The optimizers built here follow the model's learning rates, also after a restore.
        self._own_optimizers = tuple(name for name, optimizer in given.items() if optimizer is None)
        for name, setting in self.OPTIMIZERS.items():
            optimizer = given[name] or self._adam(getattr(self, setting))
            setattr(self, name, optimizer)
            optimizer.build(variables[name])

    def optimizer_steps(self):
        """Steps each optimizer has taken → {"d": 5, "g": 167, "vae": 192} (names without "_optimizer")."""
        return {name.removesuffix("_optimizer"): int(getattr(self, name).iterations.numpy()) for name in self.OPTIMIZERS}

    def _adam(self, learning_rate):
        # epsilon 1e-8 is TensorFlow 1's AdamOptimizer default.
        return keras.optimizers.Adam(learning_rate, beta_1=self.beta1, beta_2=getattr(self, "beta2", 0.999),
                                     epsilon=1e-8, global_clipnorm=getattr(self, "clip_norm", None))

    # ----------------------------------------------------------------- the rule runner

    def _rule_settings(self):
        """The rule's settings as tensors: changed between batches, they apply without retracing."""
        return self.Rule(*(tf.constant(getattr(self, name), tf.int32 if isinstance(default, int) else tf.float32)
                           for name, default in zip(self.Rule._fields, self.Rule._field_defaults.values())))

    @tf.function(reduce_retracing=True)
    def _train_rule(self, batch, rule_settings):
        """The rule on one device, compiled (Keras does not AutoGraph-convert `train_step`)."""
        return self.rule(lambda fn, *args: fn(batch, *args), rule_settings)

    @staticmethod
    def repeat(step, fn, times, figures, counter, *args, until=lambda figures: False):
        """For rules: up to `times` steps of `fn`, stopping once `until(its figures)`
        → (the last step's figures, or `figures` if none ran; `counter` + the steps taken)."""
        for _ in tf.range(times):
            figures = step(fn, *args)
            counter += 1
            if until(figures):
                break
        return figures, counter

    def _track(self, figures):
        """Add one batch's figures to the epoch means → {name: epoch mean}."""
        for tracker, value in zip(self.trackers, figures):
            tracker.update_state(tf.cast(value, tf.float32))
        return {tracker.name: tracker.result() for tracker in self.trackers}

    def train_step(self, data):
        return self._track(self._train_rule(self._batch(data), self._rule_settings()))

    def make_train_function(self, force=False):
        """Under a multi-replica strategy, run the rule's decisions in Python, each step compiled.

        Keras would call `train_step` inside `strategy.run`, where an
        optimizer's all-reduce cannot sit inside the rule's loops and gate.
        So each step is its own compiled `strategy.run` (gradients
        all-reduced) returning the replicas' mean figures, and the rule
        branches on those means: the same decision on every replica.
        """
        strategy = self.distribute_strategy
        if strategy.num_replicas_in_sync == 1:
            return super().make_train_function(force)
        if self.train_function is not None and not force:
            return self.train_function
        compiled = {}

        def on_replicas(fn, args):
            if (fn, args) not in compiled:
                compiled[fn, args] = tf.function(
                    lambda batch: strategy.reduce("MEAN", strategy.run(fn, args=(batch, *args)), axis=None))
            return compiled[fn, args]

        track = tf.function(lambda figures: strategy.run(self._track, args=(figures,)))

        def train_function(iterator):
            batch = self._batch(next(iterator))
            figures = self.rule(lambda fn, *args: on_replicas(fn, args)(batch), self._rule_settings())
            track(tuple(tf.cast(value, tf.float32) for value in figures))
            return {tracker.name: tracker.result() for tracker in self.trackers}

        self.train_function = train_function
        return self.train_function

    def partial_train(self, batch, labels=None):
        """Train on one batch with the system's rule → its first four figures
        (Ha's `(d_loss, g_loss, vae_loss, counter)`); all of them join `metrics`."""
        if not self.compiled:
            self.compile()  # upstream built its optimizers in the constructor
        figures = self._train_rule(self._partial_batch(batch, labels), self._rule_settings())
        self._track(figures)
        return tuple(int(v) if v.dtype.is_integer else float(v) for v in figures[:4])

    def _batch(self, data):
        """What the rule's steps take from one element of the data: the images."""
        return data[0] if isinstance(data, (tuple, list)) else data

    def _partial_batch(self, batch, labels):
        """`partial_train`'s arguments checked → the rule's batch."""
        if labels is not None:
            raise TypeError(f"the {self.system} rule takes images alone, no labels")
        return self._as_images(batch)

    def _as_images(self, X):
        """A batch of images at the training size (or one flat image), or a clear error."""
        X = np.asarray(X, dtype=np.float32)
        shape = (self.y_dim, self.x_dim, self.c_dim)
        size = int(np.prod(shape))
        if X.size == 0 or (X.ndim <= 1 and X.size != size) or (X.ndim > 1 and X[0].size != size):
            raise ValueError(
                f"expected a batch of {self.y_dim}×{self.x_dim}×{self.c_dim} images "
                f"({size} values each), got an array of shape {X.shape}"
            )
        return X.reshape((-1,) + shape)

    # ----------------------------------------------------------------- drawing and encoding

    def _draw(self, z):
        """Latents → images at the training size and scale, [batch, y_dim, x_dim, c_dim]."""
        pixels = self.generator(z, self.train_coords, scale=self.scale)
        return tf.reshape(pixels, [-1, self.y_dim, self.x_dim, self.c_dim])

    def _encode_sample(self, x):
        """Encode with fresh noise: (z_mean, z_log_sigma_sq, z).

        σ = exp(½·log σ²): upstream's sqrt(exp(log σ²)) is the same number,
        but its gradient is NaN once exp underflows (log σ² < −87), which
        poisons every weight behind z in one step.
        """
        z_mean, z_log_sigma_sq = self.encoder(x, training=True)
        eps = keras.random.normal(tf.shape(z_mean), seed=self.seed_generator)
        return z_mean, z_log_sigma_sq, z_mean + tf.exp(0.5 * z_log_sigma_sq) * eps

    def _reconstruct(self, x):
        """Encode with fresh noise and draw: (z_mean, z_log_sigma_sq, x_hat)."""
        z_mean, z_log_sigma_sq, z = self._encode_sample(x)
        return z_mean, z_log_sigma_sq, self._draw(z)

    def call(self, x, training=False):
        """Autoencode: images → reconstructions through z_mean, at the images' size."""
        return self._draw(self.encoder(x, training=training)[0])

    def encode(self, X):
        """Images → z_mean, the latent vectors the encoder is most sure of."""
        if not self.has_encoder:
            raise TypeError(f"this {self.system} model has no encoder, so it cannot encode images into z; "
                            f"encoding needs a model trained with --model cppnvae or --model resnet")
        return self.encoder(self._as_images(X), training=False)[0].numpy()

    def generate(self, z=None, x_dim=26, y_dim=26, scale=5.0, memory_mb=None, method="dense"):
        """Draw images of any size → [batch, y_dim, x_dim, c_dim] floats in [0, 1].

        `z` defaults to `batch_size` draws from N(0, 1). Large images are drawn
        in bands of rows holding at most `memory_mb` of activations
        (render.RENDER_MEMORY_MB by default), whatever the resolution;
        `method` "adaptive" or "auto" spends the network only where the picture changes (render.py).
        """
        if z is None:
            z = np.random.normal(size=(self.batch_size, self.z_dim))
        return render(self.generator, z, x_dim, y_dim, scale, memory_mb, method=method)

    # ----------------------------------------------------------------- checkpoints

    def _checkpoint(self, optimizers=True, progress=True):
        """What a checkpoint holds: the networks, the epoch and, if asked, the optimizers and `progress`:
        the batches done into the next epoch and the rule's noise state (older checkpoints lack them)."""
        objects = {name: getattr(self, name) for name in self.NETWORKS}
        objects.update(epoch=tf.Variable(0, dtype=tf.int64), batch=tf.Variable(0, dtype=tf.int64))
        if progress:
            objects.update(noise=self.seed_generator.state)
        else:
            del objects["batch"]
        if optimizers and self.compiled:
            objects.update({name: getattr(self, name) for name in self.OPTIMIZERS})
        return tf.train.Checkpoint(**objects)

    def save_model(self, checkpoint_path="save", epoch=0, max_to_keep=5, include_optimizer=True, batch=0):
        """Write `checkpoint_path/model.ckpt-<epoch>` (weights, optimizer state, where training stands).

        A checkpoint taken `batch` batches into the epoch after `epoch` is
        `model.ckpt-<epoch>-batch-<batch>`. `include_optimizer=False` writes
        the weights alone (a quarter of the size): enough to draw, and to
        train on with fresh optimizers. TensorFlow writes the files under
        temporary names and only then points `checkpoint_path/checkpoint` at
        them, so a save killed half-way leaves the previous checkpoint the latest one, whole.
        """
        checkpoint = self._checkpoint(optimizers=include_optimizer)
        checkpoint.epoch.assign(epoch)
        checkpoint.batch.assign(batch)
        name = f"{CHECKPOINT_NAME}-{epoch}-batch" if batch else CHECKPOINT_NAME
        manager = tf.train.CheckpointManager(checkpoint, checkpoint_path, max_to_keep=max_to_keep, checkpoint_name=name)
        return manager.save(checkpoint_number=batch or epoch)

    def load_model(self, checkpoint_path="save"):
        """Restore the latest checkpoint in a directory (or a given prefix) → its epoch.

        Optimizer state is restored too when the model is compiled and the
        checkpoint has it; `optimizer_state_restored` says whether it did, and
        `batches_done` how far into the next epoch the checkpoint was taken.
        The default optimizers keep this model's learning rates (a checkpoint
        stores its own), so a resumed run can train on with lower ones.
        """
        path = tf.train.latest_checkpoint(checkpoint_path) if os.path.isdir(checkpoint_path) else checkpoint_path
        if not path or not tf.io.gfile.exists(path + ".index"):
            raise CheckpointError(
                f"no checkpoint found at {checkpoint_path!r}: train one with `python train.py "
                f"--save_dir {checkpoint_path}` or pass the folder that holds the `checkpoint` file"
            )
        try:
            stored = {name.split("/")[0] for name, _ in tf.train.list_variables(path)}
            checkpoint = self._checkpoint(optimizers="g_optimizer" in stored, progress="batch" in stored)
            checkpoint.restore(path).expect_partial().assert_existing_objects_matched()
            has_optimizers = "g_optimizer" in stored
        except (AssertionError, ValueError, IndexError, tf.errors.OpError) as error:
            raise CheckpointError(
                f"checkpoint {path!r} cannot be read into this {self.system} model ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:300] if str(error) else 'damaged data'}). Was it written with "
                f"other settings or another --model (see config.json beside it), or is it truncated? An older "
                f"checkpoint in the folder can be used by editing its `checkpoint` file."
            ) from None
        broken = self.nonfinite_weights()
        if broken:
            raise CheckpointError(
                f"checkpoint {path!r} holds NaN/Inf weights ({', '.join(broken[:3])}"
                f"{f' and {len(broken) - 3} more' if len(broken) > 3 else ''}): the run diverged before it was "
                f"saved. Use an earlier checkpoint in the folder (edit its `checkpoint` file) or train again."
            )
        self.optimizer_state_restored = bool(self.compiled and has_optimizers)
        self.batches_done = int(checkpoint.batch.numpy()) if "batch" in stored else 0
        for name in getattr(self, "_own_optimizers", ()):
            getattr(self, name).learning_rate.assign(getattr(self, self.OPTIMIZERS[name]))
        return int(checkpoint.epoch.numpy())

    def nonfinite_weights(self):
        """The paths of the networks' weights that hold a NaN or Inf (usually none; one scalar check first)."""
        weights = [(name, w) for name in self.NETWORKS for w in getattr(self, name).weights]
        if bool(tf.reduce_all([tf.reduce_all(tf.math.is_finite(w)) for _, w in weights])):
            return []
        return [f"{name}/{w.path}" for name, w in weights if not np.isfinite(w.numpy()).all()]

    def close(self):
        """Upstream closed its TensorFlow session here; TF 2 has none, so nothing to do."""


# --------------------------------------------------------------------------- system B (and C): Ha's rule


@keras.saving.register_keras_serializable(package="cppn")
class CPPNVAE(TrainedCPPN):
    """Ha's CPPN-GAN-VAE (`--model cppnvae`), with upstream's constructor, defaults and public methods.

    Args (defaults: `settings.DEFAULTS["cppnvae"]`, upstream's values; the
    meaning of each: `settings.SETTINGS`):
        batch_size, z_dim, x_dim, y_dim, c_dim, scale: images and latents.
        learning_rate, learning_rate_d, learning_rate_vae, beta1: the G, D and VAE Adams.
        net_size_g, net_depth_g: the CPPN generator; net_size_q, keep_prob: the encoder; df_dim: D.
        model_name: the Keras model's name.
        n_vae_steps (4), n_handicap (4), g_stop_loss (0.6), th_low (0.6), th_high (0.75), n_d_steps (1):
            the rule (the post describes N_handicap 4–8, th_high 0.80, th_low 0.45).
        prior_samples: not upstream (0.0): this share of the batch, drawn from the prior,
            joins the fakes of D and G, so G also learns to make prior samples look like digits.
        architecture, use_radius, reconstruction: system C (colour) is this class with
            `c_dim=3`, architecture "frog", `use_radius=False` optionally, reconstruction "l2".
        seed: the rule's noise.
    """

    system = "cppnvae"
    has_encoder = True
    NETWORKS = ("encoder", "generator", "discriminator")
    OPTIMIZERS = {"d_optimizer": "learning_rate_d", "g_optimizer": "learning_rate", "vae_optimizer": "learning_rate_vae"}
    FIGURES = ("d_loss", "g_loss", "vae_loss", "n_op")

    def build_networks(self):
        if self.reconstruction not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"unknown reconstruction loss {self.reconstruction!r}; "
                             f"choose one of {', '.join(RECONSTRUCTION_LOSSES)}")
        self.encoder = build_encoder(self.x_dim, self.y_dim, self.c_dim, self.z_dim, self.net_size_q, self.keep_prob)
        self.generator = Generator(self.z_dim, self.c_dim, self.net_size_g, self.net_depth_g, self.architecture,
                                   use_radius=self.use_radius, name="generator")
        self.discriminator = build_discriminator(self.x_dim, self.y_dim, self.c_dim, self.df_dim)

    @property
    def qg_variables(self):
        """Encoder and generator weights: what the VAE and G optimizers train."""
        return self.encoder.trainable_variables + self.generator.trainable_variables

    def optimizer_variables(self):
        return dict(d_optimizer=self.discriminator.trainable_variables, g_optimizer=self.qg_variables,
                    vae_optimizer=self.qg_variables)

    # ----------------------------------------------------------------- the steps

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
        drawn = self._draw(keras.random.normal(tf.stack([n, self.z_dim]), seed=self.seed_generator))
        return z_mean, z_log_sigma_sq, x_hat, tf.concat([x_hat, drawn], axis=0)

    def d_loss(self, x):
        """D's loss on real x and on freshly generated fakes, without updating."""
        fakes = self._fakes(x)[3]
        d_real = self.discriminator(x, training=True)
        d_fake = self.discriminator(tf.stop_gradient(fakes), training=True)
        return discriminator_loss(d_real, d_fake)[0]

    def vae_step(self, x):
        """One VAE step over Q and G → vae_loss."""
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat = self._reconstruct(x)
            loss = self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
        _minimize(self.vae_optimizer, tape, loss, self.qg_variables)
        return loss

    def g_step(self, x):
        """One step on balanced_loss = g_loss + vae_loss over Q and G → g_loss."""
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat, fakes = self._fakes(x)
            g_loss = generator_loss(self.discriminator(fakes, training=True))
            balanced = g_loss + self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
        _minimize(self.g_optimizer, tape, balanced, self.qg_variables)
        return g_loss

    def d_step(self, x):
        """One D step → d_loss."""
        with tf.GradientTape() as tape:
            loss = self.d_loss(x)
        _minimize(self.d_optimizer, tape, loss, self.discriminator.trainable_variables)
        return loss

    def rule(self, step, s):
        """Ha's `partial_train` → (d_loss, g_loss, vae_loss, counter); each loss is the one its step saw."""
        # 1. n_vae_steps VAE steps.
        vae, counter = self.repeat(step, self.vae_step, s.n_vae_steps, tf.constant(0.0), tf.constant(0))
        # 2. Up to n_handicap generator steps, stopping once G fools D well enough.
        g, counter = self.repeat(step, self.g_step, s.n_handicap, tf.constant(0.0), counter,
                                 until=lambda g: g < s.g_stop_loss)
        # 3. D's loss, without updating; 4. D steps only while D is not ahead and G is not losing.
        d = step(self.d_loss)
        if d > s.th_low and g < s.th_high:
            d, counter = self.repeat(step, self.d_step, s.n_d_steps, d, counter, until=lambda d: d < s.th_low)
        return d, g, vae, counter
