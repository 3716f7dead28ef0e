"""System D (`--model resnet`, post 001): a deep, narrow residual CPPN against a classifier critic.

D classifies real images into the data's `n_classes` and generated ones into
one more class, "fake"; G (with Q) wins when D gives its reconstructions the
labels of the batch they came from. No pixel loss: the VAE part is the KL
term alone. Every optimizer clips gradients to a global norm of `clip_norm`.
"""

import keras
import numpy as np
import tensorflow as tf

from cppn import Generator
from model import TrainedCPPN, _minimize, build_discriminator, build_encoder, kl_divergence


def classifier_loss(labels, probabilities):
    """(cross-entropy, accuracy) of class probabilities against integer labels, batch means."""
    labels = tf.cast(labels, tf.int64)
    loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, probabilities))
    hits = tf.cast(tf.equal(tf.argmax(probabilities, axis=-1), labels), tf.float32)
    return loss, tf.reduce_mean(hits)


@keras.saving.register_keras_serializable(package="cppn")
class ResidualCPPNVAE(TrainedCPPN):
    """System D, `--model resnet`: residual CPPN, 11-class classifier critic, the accuracy-gated rule.

    Args (defaults: `settings.DEFAULTS["resnet"]`, the post's code): Ha's
    CPPNVAE settings (net_size_g 6, net_depth_g 24 residual blocks,
    architecture "resnet", df_dim 32), and
        n_classes (10), clip_norm (5.0), vae_weight (10: G's loss is g_loss + 10·KL);
        the rule: n_vae_steps (0: KL-only Q steps; upstream built this optimizer
        but did not call it), n_handicap (16) G steps stopping once D's accuracy
        on the fakes passes g_stop_accuracy (0.98); then, if fake accuracy is
        below d_fake_low (0.7) and G's above g_gate_accuracy (0.6), up to
        n_d_steps (8) D steps stopping above d_fake_stop (0.75); else, if
        real accuracy is below d_real_low (0.6), up to n_d_steps steps on the
        real loss alone, stopping above d_real_stop (0.7).
    """

    system = "resnet"
    has_encoder = True
    NETWORKS = ("encoder", "generator", "discriminator")
    OPTIMIZERS = {"d_optimizer": "learning_rate_d", "g_optimizer": "learning_rate",
                  "vae_optimizer": "learning_rate_vae", "d_real_optimizer": "learning_rate_d"}
    FIGURES = ("d_loss", "g_loss", "vae_loss", "n_op", "g_accuracy", "d_real_accuracy", "d_fake_accuracy")

    def build_networks(self):
        self.encoder = build_encoder(self.x_dim, self.y_dim, self.c_dim, self.z_dim, self.net_size_q, self.keep_prob)
        self.generator = Generator(self.z_dim, self.c_dim, self.net_size_g, self.net_depth_g, self.architecture,
                                   use_radius=self.use_radius, name="generator")
        self.discriminator = build_discriminator(self.x_dim, self.y_dim, self.c_dim, self.df_dim,
                                                 n_classes=self.n_classes)

    def optimizer_variables(self):
        qg = self.encoder.trainable_variables + self.generator.trainable_variables
        d = self.discriminator.trainable_variables
        # KL-only steps move Q alone: G gets no gradient from the KL term.
        return dict(d_optimizer=d, d_real_optimizer=d, g_optimizer=qg, vae_optimizer=self.encoder.trainable_variables)

    def _batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("the resnet model trains on (images, labels) batches: its critic is a classifier")
        return data[0], data[1]

    def _partial_batch(self, batch, labels):
        if labels is None:
            raise TypeError("the resnet rule needs labels: partial_train(batch, labels)")
        images = self._as_images(batch)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if len(labels) != len(images) or labels.min() < 0 or labels.max() >= self.n_classes:
            raise ValueError(f"expected one label in 0..{self.n_classes - 1} per image, got {len(labels)} labels "
                             f"for {len(images)} images (range {labels.min()}..{labels.max()})")
        return images, labels

    # ----------------------------------------------------------------- the steps

    def _kl(self, z_mean, z_log_sigma_sq):
        return tf.reduce_mean(kl_divergence(z_mean, z_log_sigma_sq)) / self.n_points

    def vae_step(self, batch):
        """One KL-only step on Q → the KL per pixel."""
        x, _ = batch
        with tf.GradientTape() as tape:
            loss = self._kl(*self.encoder(x, training=True))
        _minimize(self.vae_optimizer, tape, loss, self.encoder.trainable_variables)
        return loss

    def g_step(self, batch):
        """One step on g_loss + vae_weight · KL over Q and G → (g_loss, g_accuracy, KL)."""
        x, labels = batch
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, x_hat = self._reconstruct(x)
            g_loss, g_accuracy = classifier_loss(labels, self.discriminator(x_hat, training=True))
            kl = self._kl(z_mean, z_log_sigma_sq)
            balanced = g_loss + self.vae_weight * kl
        _minimize(self.g_optimizer, tape, balanced, self.encoder.trainable_variables + self.generator.trainable_variables)
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

    def d_eval(self, batch):
        """D judged without updating → (d_loss, real accuracy, fake accuracy)."""
        d_loss, _, real_accuracy, fake_accuracy = self._d_losses(batch)
        return d_loss, real_accuracy, fake_accuracy

    def d_step(self, batch, real_only=False):
        """One D step on the whole loss (or, `real_only`, on the real images' loss) → as `d_eval`."""
        with tf.GradientTape() as tape:
            d_loss, d_real, real_accuracy, fake_accuracy = self._d_losses(batch)
        optimizer = self.d_real_optimizer if real_only else self.d_optimizer
        _minimize(optimizer, tape, d_real if real_only else d_loss, self.discriminator.trainable_variables)
        return d_loss, real_accuracy, fake_accuracy

    def rule(self, step, s):
        """The accuracy-gated rule → (d_loss, g_loss, vae_loss, counter, g_acc, d_real_acc, d_fake_acc)."""
        # 1. KL-only steps on Q (none by default).
        vae, counter = self.repeat(step, self.vae_step, s.n_vae_steps, tf.constant(0.0), tf.constant(0))
        # 2. Up to n_handicap G steps, stopping once D labels the reconstructions as their digits.
        (g, g_accuracy, vae), counter = self.repeat(step, self.g_step, s.n_handicap, (tf.constant(0.0),) * 2 + (vae,),
                                                    counter, until=lambda figures: figures[1] > s.g_stop_accuracy)
        # 3. D judged; 4. D steps on fakes while it misses them and G is winning, else on real images if needed.
        d_figures = step(self.d_eval)
        d, real_accuracy, fake_accuracy = d_figures
        if fake_accuracy < s.d_fake_low and g_accuracy > s.g_gate_accuracy:
            d_figures, counter = self.repeat(step, self.d_step, s.n_d_steps, d_figures, counter,
                                             until=lambda figures: figures[2] > s.d_fake_stop)
        elif real_accuracy < s.d_real_low:
            d_figures, counter = self.repeat(step, self.d_step, s.n_d_steps, d_figures, counter, True,
                                             until=lambda figures: figures[1] > s.d_real_stop)
        d, real_accuracy, fake_accuracy = d_figures
        return d, g, vae, counter, g_accuracy, real_accuracy, fake_accuracy
