"""System E (`--model wgan-gp`, post 004): a CPPN generator against a Wasserstein critic with gradient penalty."""

import keras
import tensorflow as tf

from cppn import Generator
from model import TrainedCPPN, _minimize
from ops import conv2d, linear


def build_critic(x_dim=28, y_dim=28, c_dim=1, dim=64):
    """The critic: conv 5×5 stride 2 with relu, dim·1/2/4 filters → one score; no batch norm, no sigmoid."""
    layers = [keras.Input(shape=(y_dim, x_dim, c_dim))]
    for i, filters in enumerate((dim, dim * 2, dim * 4)):
        layers += [conv2d(filters, name=f"critic_h{i}_conv"), keras.layers.ReLU()]
    layers += [keras.layers.Flatten(), linear(1, name="critic_score")]
    return keras.Sequential(layers, name="critic")


def gradient_penalty(critic, real, fake, seed_generator):
    """Mean (‖∇ critic(x̃)‖ − 1)² at random points x̃ between real and fake images."""
    alpha = keras.random.uniform([tf.shape(real)[0], 1, 1, 1], seed=seed_generator)
    between = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(between)
        scores = critic(between, training=True)
    gradients = tape.gradient(scores, between)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


@keras.saving.register_keras_serializable(package="cppn")
class CPPNWGANGP(TrainedCPPN):
    """System E, `--model wgan-gp`: no encoder; z ~ N(0, 1) enters the CPPN unscaled.

    Args (defaults: `settings.DEFAULTS["wgan-gp"]`, the post's): latent 128,
    a tanh CPPN of 4 × 128 at 28×28, critic_dim 64, Adam(1e-4, β 0.5, 0.9)
    for both (`learning_rate` G, `learning_rate_d` the critic), batch 50,
    n_critic (5) critic batches per generator step, gp_lambda (10).
    """

    system = "wgan-gp"
    NETWORKS = ("generator", "critic")
    OPTIMIZERS = {"critic_optimizer": "learning_rate_d", "g_optimizer": "learning_rate"}
    FIGURES = ("d_loss", "g_loss", "wasserstein", "gradient_penalty")

    def build_networks(self):
        self.generator = Generator(self.z_dim, self.c_dim, self.net_size_g, self.net_depth_g, self.architecture,
                                   use_radius=self.use_radius, scale_z=False, name="generator")
        self.critic = build_critic(self.x_dim, self.y_dim, self.c_dim, self.critic_dim)

    @property
    def images_per_step(self):
        return self.batch_size * self.n_critic

    def optimizer_variables(self):
        return dict(critic_optimizer=self.critic.trainable_variables, g_optimizer=self.generator.trainable_variables)

    def call(self, z, training=False):
        """Latents → images at the training size."""
        return self._draw(z)

    def _partial_batch(self, batch, labels):
        images = super()._partial_batch(batch, labels)
        if len(images) % self.n_critic:
            raise ValueError(f"expected n_critic × k images (n_critic = {self.n_critic}), got {len(images)}")
        return images

    def _prior(self, n):
        return keras.random.normal(tf.stack([n, self.z_dim]), seed=self.seed_generator)

    def critic_step(self, batch, i):
        """One critic step on the i-th of the batch's n_critic parts → (d_loss, wasserstein, penalty)."""
        real = tf.reshape(batch, [self.n_critic, -1, self.y_dim, self.x_dim, self.c_dim])[i]
        fake = self._draw(self._prior(tf.shape(real)[0]))
        with tf.GradientTape() as tape:
            wasserstein = tf.reduce_mean(self.critic(real, training=True)) - tf.reduce_mean(
                self.critic(fake, training=True))
            penalty = gradient_penalty(self.critic, real, fake, self.seed_generator)
            d_loss = -wasserstein + self.gp_lambda * penalty
        _minimize(self.critic_optimizer, tape, d_loss, self.critic.trainable_variables)
        return d_loss, wasserstein, penalty

    def generator_step(self, batch):
        """One generator step on −critic(fake), as many fakes as one critic part → g_loss."""
        n = tf.shape(batch)[0] // self.n_critic
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.critic(self._draw(self._prior(n)), training=True))
        _minimize(self.g_optimizer, tape, g_loss, self.generator.trainable_variables)
        return g_loss

    def rule(self, step, s):
        """n_critic critic steps, one per part of the batch, then one generator step."""
        for i in range(self.n_critic):
            d_loss, wasserstein, penalty = step(self.critic_step, i)
        g_loss = step(self.generator_step)
        return d_loss, g_loss, wasserstein, penalty
