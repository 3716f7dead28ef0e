"""The CPPN: one small network asked once per pixel coordinate, so it draws at any resolution.

`Generator` is the network every system trains (its layer plan is an
architecture from `ARCHITECTURES`); `CPPN` is system A (post 002), a
generator with random weights that draws abstract art.
"""

import keras
import numpy as np
import tensorflow as tf

from ops import Residual, cppn_dense
from render import render
from settings import ARCHITECTURES

OUTPUTS = {
    "sigmoid": tf.sigmoid,
    "sinusoid": lambda h: 0.5 * tf.sin(h) + 0.5,
    "sqrt_abs_tanh": lambda h: tf.sqrt(1.0 - tf.abs(tf.tanh(h))),
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

    def generate(self, z=None, x_dim=26, y_dim=26, scale=8.0, memory_mb=None, method="dense"):
        """[batch, y_dim, x_dim, c_dim] images; z defaults to `batch_size` uniform(-1, 1) draws.

        `memory_mb` bounds the activations held at once (render.RENDER_MEMORY_MB by default);
        `method` is render's ("dense", "adaptive" or "auto").
        """
        if z is None:
            z = np.random.uniform(-1.0, 1.0, size=(self.batch_size, self.z_dim))
        return render(self.generator, z, x_dim, y_dim, scale, memory_mb, method=method)
