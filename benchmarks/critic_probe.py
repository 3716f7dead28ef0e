"""What a CPPN-GAN-VAE run's critic says of collapsed batches, and what gradient it sends G.

    python benchmarks/critic_probe.py runs/frog

Loads the run's newest checkpoint and, on one batch of its training images,
prints D's mean p(real) and G's adversarial gradient norm for: the real
images; the rule's fakes (reconstructions); prior samples; batches of one flat
colour (several colours); batches of many copies of one real image. Each is
judged two ways: alone, as the rule judges fakes (D's batch norm uses that
batch's own statistics), and mixed half and half with real images, so the
statistics are shared. A critic whose answer on a one-image batch does not
depend on the image, and whose gradient there is near zero, cannot pull a
collapsed generator back out. That was one hypothesis for system C's flat
colour; on the frog run's epoch-8 checkpoint (loaded before NaN checkpoints
were refused) it was refuted: flat batches alone got p(real) 0.19–0.24 beside
0.46 for real frogs, with gradients of 1.8–3.8 per image reaching G.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from evaluate import spread  # noqa: E402
from model import generator_loss  # noqa: E402
from run_folder import load_trained, training_images  # noqa: E402


def judged(model, images, real, mixed):
    """(D's mean p(real) on `images`, the norm of ∂g_loss/∂images per image): alone, or beside `real`."""
    images = tf.constant(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        batch = tf.concat([images, real[: len(images)]], axis=0) if mixed else images
        p_real = model.discriminator(batch, training=True)[: len(images)]
        loss = generator_loss(p_real)
    gradient = tape.gradient(loss, images)
    per_image = tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=[1, 2, 3])) * len(images)
    return float(tf.reduce_mean(p_real)), float(tf.reduce_mean(per_image))


def generator_gradient(model, z):
    """Global norm of g_loss's gradient at G's weights for prior samples drawn from z (judged alone)."""
    with tf.GradientTape() as tape:
        loss = generator_loss(model.discriminator(model._draw(z), training=True))
    gradient = tape.gradient(loss, model.generator.trainable_variables)
    return float(tf.linalg.global_norm(gradient))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--batch", type=int, default=500, help="images per judged batch")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    model, config, epoch = load_trained(args.run_dir, batch_size=args.batch)
    rng = np.random.default_rng(args.seed)
    data = training_images(config, args.run_dir, model)
    real = data.center_crops()[rng.choice(data.num_examples, 2 * args.batch, replace=False)]
    x, others = real[: args.batch], tf.constant(real[args.batch:])
    n = args.batch
    z = tf.constant(rng.standard_normal((n, model.z_dim)), tf.float32)
    samples = model._draw(z).numpy()
    reconstructions = model._reconstruct(tf.constant(x))[2].numpy()
    print(f"{args.run_dir}, epoch {epoch}; {n} images per batch; spread of real {spread(x[:200]):.2f}")
    print(f"prior samples: spread ÷ real {spread(samples[:200]) / spread(x[:200]):.3f}, "
          f"mean colour {np.round(samples.mean(axis=(0, 1, 2)), 3)}; "
          f"g_loss gradient norm at G's weights {generator_gradient(model, z):.3e}")
    rows = [("real images", x), ("reconstructions (the rule's fakes)", reconstructions), ("prior samples", samples)]
    for colour in rng.uniform(0, 1, (4, model.c_dim)):
        rows.append((f"flat colour {np.round(colour, 2)}", np.broadcast_to(colour, x.shape).copy()))
    for i in range(3):
        rows.append((f"{n} copies of real image {i}", np.repeat(x[i: i + 1], n, axis=0)))
    print("| batch | D p(real), alone | ‖∂g/∂x‖ per image, alone | D p(real), beside real | ‖∂g/∂x‖, beside real |")
    print("|---|---|---|---|---|")
    for name, images in rows:
        alone, mixed = judged(model, images, others, False), judged(model, images, others, True)
        print(f"| {name} | {alone[0]:.3f} | {alone[1]:.2e} | {mixed[0]:.3f} | {mixed[1]:.2e} |", flush=True)


if __name__ == "__main__":
    main()
