"""Keras callbacks for a training run: checkpoints, the divergence guard, logs and sample images."""

import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from evaluate import RealImages, epoch_figures
from render import tile



class TrainingDiverged(Exception):
    """A loss became NaN/Inf or exploded; training stopped before saving anything more."""


class TrainingCheckpoint(keras.callbacks.Callback):
    """Checkpoint every `checkpoint_step` epochs, at the end, and within epochs every `minutes` (or `batches`).

    A checkpoint records the completed epochs and the batches done since, so
    a killed run loses at most the work since the last one. `first_batch` is
    where the first epoch of this `fit` starts (a resumed, interrupted epoch).
    """

    def __init__(self, run_dir, checkpoint_step=1, minutes=5.0, batches=None, first_batch=0):
        super().__init__()
        self.run_dir, self.checkpoint_step = run_dir, checkpoint_step
        self.minutes, self.batches, self.first_batch = minutes, batches, first_batch
        self.epoch = self.completed = self.saved = None
        self.last_save = time.monotonic()

    def _save(self, epochs, batch=0):
        path = self.model.save_model(self.run_dir, epochs, batch=batch)
        self.saved, self.last_save = (epochs, batch), time.monotonic()
        print(f"saved {path}", flush=True)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        done = self.first_batch + batch + 1
        if done == self.params.get("steps", 0) + self.first_batch:
            return  # the epoch's last batch: its checkpoint is the epoch's
        due = self.batches and done % self.batches == 0
        if due or (self.minutes and time.monotonic() - self.last_save > 60 * self.minutes):
            self._save(self.epoch, done)

    def on_epoch_end(self, epoch, logs=None):
        self.completed, self.first_batch = epoch + 1, 0
        if self.completed % self.checkpoint_step == 0:
            self._save(self.completed)

    def on_train_end(self, logs=None):
        if self.completed is not None and self.saved != (self.completed, 0):
            self._save(self.completed)


class StopOnDivergence(keras.callbacks.Callback):
    """Raise `TrainingDiverged` as soon as a loss is NaN/Inf or beyond ±`limit`, or a weight is NaN/Inf.

    It checks the epoch's running averages after every batch (a NaN or Inf
    poisons the average at once) and then the weights themselves: on some
    CPUs a fused ReLU turns NaN into 0, so a generator whose first layers are
    NaN draws one flat colour with finite losses. Raising (rather than setting
    `stop_training`) skips the end-of-epoch and end-of-training checkpoints,
    so the last good checkpoint stays the latest.
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
        broken = self.model.nonfinite_weights()
        if broken:
            raise TrainingDiverged(
                f"weights turned NaN/Inf in epoch {self.epoch + 1}, batch {batch + 1} ({', '.join(broken[:3])}"
                f"{f' and {len(broken) - 3} more' if len(broken) > 3 else ''}) while the losses stayed finite; "
                f"training stopped and the last checkpoint was left as it was. Try lower learning rates."
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
    """Each epoch, log evaluate.py's cheap figures to TensorBoard (`quality/…`), so quality shows, not only losses.

    With a digit `classifier`: the class figures, reconstructions of `heldout`
    digits, a few large renders, and FID, KID, precision and recall of
    `n_samples` prior samples against as many real images; always the
    spread of the samples against the real images' and their histogram
    distance, which catch a collapse. The real images are `real_images`,
    else the held-out digits' crops; with neither, the class figures alone.
    """

    def __init__(self, log_dir, classifier=None, heldout=None, n_hires=8, hires_size=1080, n_samples=2000,
                 n_reconstructions=500, real_images=None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "quality"))
        self.classifier, self.heldout = classifier, heldout
        self.n_hires, self.hires_size = n_hires, hires_size
        self.n_samples, self.n_reconstructions = n_samples, n_reconstructions
        if real_images is None and heldout is not None:
            real_images = heldout.center_crops()
        self.real = None
        if real_images is not None:
            pick = np.random.default_rng(0).choice(len(real_images), min(n_samples, len(real_images)), replace=False)
            self.real = RealImages(np.asarray(real_images)[np.sort(pick)], classifier)

    def on_epoch_end(self, epoch, logs=None):
        figures = epoch_figures(self.model, self.real, self.heldout, self.n_samples, self.n_reconstructions,
                                self.n_hires, self.hires_size, classifier=self.classifier)
        shares = figures.pop("class_shares", None)
        with self.writer.as_default():
            for name, value in figures.items():
                tf.summary.scalar(name, value, step=epoch + 1)
            if shares is not None:
                counts = np.round(shares * self.n_samples).astype(int)
                tf.summary.histogram("prior_sample_classes", np.repeat(np.arange(10), counts), step=epoch + 1,
                                     buckets=10)
        self.writer.flush()
        print("quality: " + " ".join(f"{name}= {value:.3g}" for name, value in figures.items()), flush=True)


class SampleSpread(QualityMetrics):
    """For any model (colour too, no classifier): each epoch, the spread of `n_samples` prior samples against
    `real_images`' and their colour-histogram distance, in TensorBoard's `quality/…`; a collapse shows as
    spread_ratio → 0."""

    def __init__(self, log_dir, real_images, n_samples=1000):
        super().__init__(log_dir, None, n_hires=0, n_samples=n_samples, real_images=real_images)
