"""Building blocks shared by every network of the port.

The initialisers are the upstream ones (REFERENCE.md, "Shared building
blocks"): they shape what a CPPN draws, so they are part of the spec.
"""

import keras
import numpy as np
import tensorflow as tf

LEAKY_RELU_SLOPE = 0.2


def cppn_dense(units, use_bias=True, stddev=0.1, bias_stddev=None, activation=None, name=None):
    """CPPN fully-connected layer: weights *and* biases drawn from N(0, stddev²)."""
    bias_stddev = stddev if bias_stddev is None else bias_stddev
    return keras.layers.Dense(
        units,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=keras.initializers.RandomNormal(stddev=stddev),
        bias_initializer=keras.initializers.RandomNormal(stddev=bias_stddev),
        name=name,
    )


def linear(units, name=None):
    """Encoder / discriminator linear layer: weights N(0, 0.02²), bias 0."""
    return keras.layers.Dense(
        units,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
        bias_initializer="zeros",
        name=name,
    )


def conv2d(filters, name=None):
    """Discriminator convolution: 5×5, stride 2, SAME, truncated-normal(0.02) weights."""
    return keras.layers.Conv2D(
        filters,
        kernel_size=5,
        strides=2,
        padding="same",
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        bias_initializer="zeros",
        name=name,
    )


def lrelu(name=None):
    """Leaky ReLU with the upstream slope 0.2."""
    return keras.layers.LeakyReLU(negative_slope=LEAKY_RELU_SLOPE, name=name)


@keras.saving.register_keras_serializable(package="cppn")
class BatchNorm(keras.layers.Layer):
    """Batch norm that always normalises with the current batch's statistics.

    Upstream ran its discriminator's batch norm in training mode at all times,
    so there are no moving averages to keep: real and fake batches are each
    normalised by their own mean and (biased) variance.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(
            shape=(channels,),
            initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02),
            name="gamma",
        )
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, inputs):
        axes = list(range(len(inputs.shape) - 1))
        mean, variance = tf.nn.moments(inputs, axes=axes)
        return tf.nn.batch_normalization(
            inputs, mean, variance, self.beta, self.gamma, self.epsilon
        )

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="cppn")
class Residual(keras.layers.Layer):
    """`x + layer(x)`: a residual connection around one layer."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        self.layer.build(input_shape)

    def call(self, inputs):
        return inputs + self.layer(inputs)

    def get_config(self):
        return {**super().get_config(), "layer": keras.saving.serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config):
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)


def coordinate_axis(n, scale):
    """The `n` positions along one image axis, spanning [-scale, +scale]."""
    if n == 1:
        return np.zeros(1, dtype=np.float32)
    i = np.arange(n, dtype=np.float64)
    return (scale * (i - (n - 1) / 2.0) / (n - 1) / 0.5).astype(np.float32)


def coordinates(x_dim, y_dim, scale, rows=None):
    """Per-pixel CPPN inputs `(x, y, r)` as a float32 array of shape [pixels, 3].

    Pixels are in row-major order (row = y, column = x). `rows` selects a
    slice of image rows, so a large image can be produced band by band
    without building the whole grid.
    """
    xs = coordinate_axis(x_dim, scale)
    ys = coordinate_axis(y_dim, scale)
    if rows is not None:
        ys = ys[rows]
    x = np.tile(xs, len(ys))
    y = np.repeat(ys, x_dim)
    r = np.sqrt(x * x + y * y)
    return np.stack([x, y, r], axis=1)
