"""Show how a NaN in system C's first layers hides from the losses on CPUs where oneDNN fuses Dense+ReLU.

    TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/hidden_nan.py   # Intel default: the NaN is hidden
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/hidden_nan.py   # plain kernels: the NaN shows

Builds system C's networks (the frog layers: relu, then tanh and relu
alternating), makes the encoder's first kernel and the generator's z kernel
NaN — as in the frog run's epoch-8 checkpoint, where the encoder and the
generator's layers up to the first Dense+ReLU were NaN — and prints what
training would then report: D's and G's losses, the prior samples' NaN
share and spread, what a loss-only check (the guard before) says and what
the weight check says. With oneDNN's fused Dense+ReLU a NaN input gives 0,
so the generator draws one flat colour (spread 0) while both losses stay
finite: the "collapse to one flat colour" of the frog and icon runs.
"""

import os
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from callbacks import StopOnDivergence, TrainingDiverged  # noqa: E402
from evaluate import spread  # noqa: E402
from model import CPPNVAE, generator_loss  # noqa: E402
from settings import preset  # noqa: E402


def main():
    tf.keras.utils.set_random_seed(0)
    model = CPPNVAE(**dict(preset("cppnvae", c_dim=3), c_dim=3, batch_size=100), seed=0)
    model.compile()
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((100, 30, 30, 3)), tf.float32)
    z = tf.constant(rng.standard_normal((100, model.z_dim)), tf.float32)

    @tf.function
    def judge(x, z):
        """D's and G's losses and prior samples, in a graph as training runs them (fusion happens only there)."""
        fakes = model._fakes(x)[3]
        return model.d_loss(x), generator_loss(model.discriminator(fakes, training=True)), model._draw(z)

    print(f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', '(unset)')}")
    for state in ("healthy", "encoder's and g_0_z's kernels NaN"):
        if state != "healthy":
            z_kernel = next(w for w in model.generator.weights if "g_0_z" in w.path and "kernel" in w.path)
            for kernel in (model.encoder.weights[0], z_kernel):
                kernel.assign(tf.fill(kernel.shape, np.nan))
        d, g, samples = (np.asarray(t) for t in judge(x, z))
        d, g = float(d), float(g)
        nan_share = float(np.isnan(samples).mean())
        share = spread(samples[:100]) if nan_share == 0 else float("nan")
        losses_finite = bool(np.isfinite([d, g]).all())
        guard = StopOnDivergence()
        guard.set_model(model)
        try:
            guard.on_train_batch_end(0, {"d_loss": d, "g_loss": g})
            verdict = "passes"
        except TrainingDiverged as error:
            verdict = f"stops: {str(error)[:100]}…"
        colours = len(np.unique(np.round(samples.reshape(-1, 3), 4), axis=0)) if nan_share == 0 else 0
        print(f"{state}: d_loss {d:.6f}, g_loss {g:.6f}; prior samples NaN {nan_share:.0%}, spread {share:.4g}, "
              f"{colours} distinct colours; loss-only check {'passes' if losses_finite else 'stops'}; "
              f"guard with weight check {verdict}")


if __name__ == "__main__":
    main()
