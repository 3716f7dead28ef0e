"""Does the colour rule kill its encoder, and which of its steps does it? One arm per hypothesis.

    python benchmarks/encoder_probe.py runs/frog --data-dir ../shared/cifar10 --batches 6
    python benchmarks/encoder_probe.py RUN --batches 12 --batch-size 250 --arms rule,g-spares-q   # quicker

From one checkpoint of a system-C run, each arm trains a copy on the same
batches and, after every batch, prints how alive the encoder is on 500 fixed
training images (centre crops): the share of Q's second-layer units whose
input is above −5, where softplus still passes a gradient (slope e⁻⁵ ≈ 0.007),
the spread of z_mean across images (0: every image gets the same z), the
pixel error of reconstructions and their spread against the real images'.
A dead encoder gives every image the same z, so its reconstructions are one
picture whatever the input, and the VAE term can no longer teach G anything.

Arms: `rule`, the faithful rule (train_on_batch, gates included);
`vae-only`, the VAE steps alone (n_handicap 0, n_d_steps 0);
`g-spares-q`, the rule with G's adversarial term kept out of Q (its fakes are
drawn from stop_gradient(z), so g_loss trains G only; the VAE term in the
same step still trains Q and G, as upstream's balanced loss does).
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from colour_arms import fixed_images  # noqa: E402
from evaluate import spread  # noqa: E402
from model import CPPNVAE, _minimize, generator_loss  # noqa: E402
from run_folder import read_config, training_images  # noqa: E402

ALIVE_ABOVE = -5.0


class GSparesQ(CPPNVAE):
    """The colour rule, but G's adversarial loss reaches G only: the fakes D judges come from stop_gradient(z)."""

    def g_step(self, x):
        with tf.GradientTape() as tape:
            z_mean, z_log_sigma_sq, z = self._encode_sample(x)
            x_hat = self._draw(z)
            g_loss = generator_loss(self.discriminator(self._draw(tf.stop_gradient(z)), training=True))
            balanced = g_loss + self._vae_loss(x, x_hat, z_mean, z_log_sigma_sq)
        _minimize(self.g_optimizer, tape, balanced, self.qg_variables)
        return g_loss


ARMS = {"rule": (CPPNVAE, {}), "vae-only": (CPPNVAE, dict(n_handicap=0, n_d_steps=0)), "g-spares-q": (GSparesQ, {})}


def load_arm(run_dir, arm, batch_size=None):
    """The run's newest checkpoint, optimizers included, as the arm's model class and settings → (model, config, epoch)."""
    config = read_config(run_dir)
    cls, changes = ARMS[arm]
    if config.get("model", {}).get("prior_samples"):
        raise SystemExit("this probe follows upstream's rule, whose fakes are reconstructions only (prior_samples 0)")
    model = cls(**dict(config.get("model", {}), **changes, **({"batch_size": batch_size} if batch_size else {})))
    model.compile()
    epoch = model.load_model(run_dir)
    return model, config, epoch


def second_layer(model):
    """Q's second layer as a model of its own, sharing Q's weights as they train."""
    return keras.Model(model.encoder.input, model.encoder.get_layer("q_h1").output)


def encoder_figures(model, q_h1, images, real_spread):
    """How alive Q is on `images` (`q_h1`: second_layer(model)), and what its reconstructions keep → dict."""
    pre = q_h1(images, training=False).numpy()
    z_mean = model.encoder(images, training=False)[0]
    reconstructions = model._draw(z_mean).numpy()
    z_mean = z_mean.numpy()
    return {"alive": float(np.mean(pre > ALIVE_ABOVE)), "z_mean_std": float(z_mean.std(axis=0).mean()),
            "recon_mse": float(np.mean(np.square(reconstructions - images))),
            "recon_spread": spread(reconstructions) / real_spread}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir", help="a system-C run folder (its newest checkpoint is every arm's start)")
    p.add_argument("--data-dir", help="where the images are, if not where the run's config.json says")
    p.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, of {', '.join(ARMS)}")
    p.add_argument("--batches", type=int, default=6, help="training batches per arm (default: 6, one frog epoch)")
    p.add_argument("--batch-size", type=int, help="images a batch (default: the run's; smaller is faster, "
                   "with the rule's step counts and rates unchanged)")
    p.add_argument("--n", type=int, default=500, help="fixed images the figures are measured on")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print("| arm | batch | steps vae / g / d | alive Q units | z_mean spread | reconstruction MSE "
          "| reconstructions' spread ÷ real | s a batch |")
    print("|---|---|---|---|---|---|---|---|")
    for arm in args.arms.split(","):
        model, config, epoch = load_arm(args.run_dir, arm, args.batch_size)
        data = training_images(config, args.run_dir, model, args.data_dir)
        fixed = fixed_images(data, args.n, args.seed)
        real_spread = spread(fixed)
        batches = iter(data.tf_dataset(model.images_per_step, args.seed, model.x_dim, first_epoch=epoch))
        q_h1 = second_layer(model)
        start = model.optimizer_steps()
        took = 0.0
        for batch in range(args.batches + 1):
            if batch:
                t = time.perf_counter()
                model.train_on_batch(next(batches))
                took = time.perf_counter() - t
            steps = " / ".join(str(model.optimizer_steps()[k] - start[k]) for k in ("vae", "g", "d"))
            f = encoder_figures(model, q_h1, fixed, real_spread)
            print(f"| {arm} | {epoch} + {batch} | {steps} | {f['alive']:.3f} | {f['z_mean_std']:.3f} "
                  f"| {f['recon_mse']:.4f} | {f['recon_spread']:.3f} | {took:.0f} |", flush=True)


if __name__ == "__main__":
    main()
