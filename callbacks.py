"""Keras callbacks for a training run: checkpoints, the divergence guard, logs and sample images."""

import math
import os

import keras
import numpy as np
import tensorflow as tf

from evaluate import evaluate
from render import tile



class TrainingDiverged(Exception):
    """A loss became NaN/Inf or exploded; training stopped before saving anything more."""


class EpochCheckpoint(keras.callbacks.Callback):
    """`model.save_model(save_dir, epoch)` every `checkpoint_step` epochs and once at the end.

    The number on a checkpoint is the count of completed epochs, which is
    where a resumed run starts.
    """

    def __init__(self, save_dir, checkpoint_step=1):
        super().__init__()
        self.save_dir, self.checkpoint_step = save_dir, checkpoint_step
        self.completed = self.saved = None

    def _save(self, epochs):
        path = self.model.save_model(self.save_dir, epochs)
        self.saved = epochs
        print(f"saved {path}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        self.completed = epoch + 1
        if self.completed % self.checkpoint_step == 0:
            self._save(self.completed)

    def on_train_end(self, logs=None):
        if self.completed is not None and self.saved != self.completed:
            self._save(self.completed)


class StopOnDivergence(keras.callbacks.Callback):
    """Raise `TrainingDiverged` as soon as a loss is NaN/Inf or beyond ±`limit`.

    It checks the epoch's running averages after every batch: a NaN or Inf
    poisons the average at once. Raising (rather than setting `stop_training`)
    skips the end-of-epoch and end-of-training checkpoints, so the last good
    checkpoint stays the latest.
    """

    def __init__(self, limit=1e6):
        super().__init__()
        self.limit = limit
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            value = float(value)
            if not math.isfinite(value) or abs(value) > self.limit:
                raise TrainingDiverged(
                    f"{name} is {value:g} in epoch {self.epoch + 1}, batch {batch + 1}; training stopped "
                    f"and the last checkpoint was left as it was. Try lower learning rates."
                )


class EpochSummary(keras.callbacks.Callback):
    """Upstream's epoch line with the averages, every `display_step` epochs."""

    def __init__(self, display_step=1):
        super().__init__()
        self.display_step = display_step

    def on_epoch_end(self, epoch, logs=None):
        if epoch % self.display_step == 0:
            logs = dict(logs or {})
            n_op = logs.pop("n_op", None)
            values = " ".join(f"{name}= {float(value):.6f}" for name, value in logs.items())
            print(f"Epoch: {epoch + 1:04d} {values}" + (f" n_op= {float(n_op):.2f}" if n_op is not None else ""), flush=True)


class SampleImages(keras.callbacks.Callback):
    """Log prior samples and reconstructions of fixed training images to TensorBoard each epoch.

    The same latent vectors and images every epoch, so the images show what
    training changes. Drawn as saved PNGs are: dark ink on white for digits
    (`ink`), as they are for pictures. Models without an encoder log samples only.
    """

    def __init__(self, log_dir, images, n_samples=16, seed=0, ink=True):
        super().__init__()
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "samples"))
        self.images = np.asarray(images, dtype=np.float32)
        self.z = None
        self.n_samples, self.seed, self.ink = n_samples, seed, ink

    def _log(self, name, image, epoch):
        tf.summary.image(name, (1.0 - image if self.ink else image)[None], step=epoch + 1)

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        if self.z is None:
            self.z = np.random.default_rng(self.seed).normal(size=(self.n_samples, model.z_dim))
        samples = model.generate(self.z, model.x_dim, model.y_dim, scale=model.scale)
        with self.writer.as_default():
            self._log("prior_samples", tile(samples, 4), epoch)
            if model.has_encoder:
                pairs = np.concatenate([self.images, model(self.images).numpy()])
                self._log("images_and_reconstructions", tile(pairs, len(self.images)), epoch)
        self.writer.flush()


class QualityMetrics(keras.callbacks.Callback):
    """Each epoch, log evaluate.py's figures to TensorBoard (fewer large renders), so quality shows, not only losses."""

    def __init__(self, log_dir, classifier, heldout=None, n_hires=8, hires_size=1080):
        super().__init__()
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "quality"))
        self.classifier, self.heldout = classifier, heldout
        self.n_hires, self.hires_size = n_hires, hires_size

    def on_epoch_end(self, epoch, logs=None):
        figures = evaluate(self.model, self.classifier, self.heldout, n_hires=self.n_hires, hires_size=self.hires_size)
        shares = figures.pop("class_shares")
        with self.writer.as_default():
            for name, value in figures.items():
                tf.summary.scalar(name, value, step=epoch + 1)
            tf.summary.histogram("prior_sample_classes", np.repeat(np.arange(10), np.round(shares * 1000).astype(int)),
                                 step=epoch + 1, buckets=10)
        self.writer.flush()
        print("quality: " + " ".join(f"{name}= {value:.3g}" for name, value in figures.items()), flush=True)
