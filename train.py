"""Train the CPPN-GAN-VAE on MNIST-style digits: `python train.py --dataset mnist`.

Upstream's flags and defaults, plus where the data comes from, where the run
lives (`--save_dir`, default `save/`) and a seed. A run writes `config.json`
and `model.ckpt-<epoch>` checkpoints into the save directory and, started
again, resumes from the latest checkpoint with the optimizers' state.
"""

import argparse
import json
import os
import secrets
import sys


def _number(kind, low, high=None, low_open=False, high_open=False):
    """An argparse type: `kind` within [low, high] (ends open if asked), else a clear error."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        too_low = value <= low if low_open else value < low
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: expected a value in {left}{low}, {'∞' if high is None else high}{right}"
            )
        return value

    return parse


HERE = os.path.dirname(os.path.abspath(__file__))
positive_int = _number(int, 1)
count = _number(int, 0)
positive_float = _number(float, 0.0, low_open=True)
loss_threshold = _number(float, 0.0)


def build_parser():
    p = argparse.ArgumentParser(
        description="Train Ha's CPPN-GAN-VAE on 26×26 crops of MNIST-style digits.",
        epilog="Example (offline): python train.py --data-dir ../shared/mnist --split t10k",
    )
    add = p.add_argument
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=("mnist", "fashion_mnist"), default="mnist",
                      help="tensorflow-datasets name, used when --data-dir is not given (default: mnist)")
    data.add_argument("--data-dir", "--data_dir", dest="data_dir", default=None,
                      help="folder of IDX files (<split>-images-idx3-ubyte.gz, ...) to read instead of tfds")
    data.add_argument("--split", default="train",
                      help="which split to train on: train, t10k (tfds: test), train5k, ... (default: train)")
    add("--training_epochs", "--training-epochs", type=positive_int, default=100,
        help="train until this many epochs are complete (default: 100)")
    add("--display_step", "--display-step", type=positive_int, default=1,
        help="print the epoch averages every this many epochs (default: 1)")
    add("--checkpoint_step", "--checkpoint-step", type=positive_int, default=1,
        help="checkpoint every this many epochs (default: 1)")
    add("--batch_size", "--batch-size", type=positive_int, default=500, help="default: 500")
    add("--learning_rate", "--learning-rate", type=positive_float, default=0.005,
        help="generator optimizer's learning rate (default: 0.005)")
    add("--learning_rate_vae", "--learning-rate-vae", type=positive_float, default=0.001,
        help="VAE optimizer's learning rate (default: 0.001)")
    add("--learning_rate_d", "--learning-rate-d", type=positive_float, default=0.001,
        help="discriminator optimizer's learning rate (default: 0.001)")
    add("--keep_prob", "--keep-prob", type=_number(float, 0.0, 1.0, low_open=True), default=1.0,
        help="encoder dropout keep probability (default: 1.0)")
    add("--beta1", type=_number(float, 0.0, 1.0, high_open=True), default=0.65,
        help="Adam beta1 of all three optimizers (default: 0.65)")
    rule = p.add_argument_group("training rule (defaults: upstream code)")
    rule.add_argument("--n_vae_steps", "--n-vae-steps", type=count, default=4, help="VAE steps per batch (4)")
    rule.add_argument("--n_handicap", "--n-handicap", type=count, default=4, help="max generator steps per batch (4)")
    rule.add_argument("--g_stop_loss", "--g-stop-loss", type=loss_threshold, default=0.6,
                      help="stop generator steps once g_loss is below this (0.6)")
    rule.add_argument("--th_low", "--th-low", type=loss_threshold, default=0.6,
                      help="train D only while d_loss is above this (0.6)")
    rule.add_argument("--th_high", "--th-high", type=loss_threshold, default=0.75,
                      help="train D only while g_loss is below this (0.75)")
    rule.add_argument("--n_d_steps", "--n-d-steps", type=count, default=1, help="max D steps per batch (1)")
    rule.add_argument("--prior_samples", "--prior-samples", type=loss_threshold, default=0.0,
                      help="not upstream: add this share of the batch, drawn from the prior, to the images D and "
                           "G judge, so prior samples learn to look like digits too (0.0)")
    run = p.add_argument_group("run")
    run.add_argument("--save_dir", "--save-dir", dest="save_dir", default="save",
                     help="checkpoints and config.json go here; an existing run there is resumed (default: save)")
    run.add_argument("--seed", type=count, default=None, help="random seed (default: a fresh one, printed)")
    run.add_argument("--export", metavar="DIR", default=None,
                     help="instead of training: write the run's latest weights (no optimizer state, a quarter "
                          "of the size) and config to DIR, e.g. to ship it in save/")
    run.add_argument("--tensorboard", action=argparse.BooleanOptionalAction, default=True,
                     help="log losses, sample images and quality to <save_dir>/logs for TensorBoard (default: on)")
    run.add_argument("--classifier", default=os.path.join(HERE, "classifier", "mnist26.keras"),
                     help="digit classifier that judges each epoch's samples (default: the project's; "
                          "skipped when missing or --dataset is not mnist)")
    run.add_argument("--heldout_split", "--heldout-split", default="train5k",
                     help="split of --data-dir whose digits test reconstructions each epoch (default: train5k)")
    return p


MODEL_FLAGS = (
    "batch_size learning_rate learning_rate_vae learning_rate_d keep_prob beta1 "
    "n_vae_steps n_handicap g_stop_loss th_low th_high n_d_steps prior_samples"
).split()


def write_json_atomically(path, data):
    """Write JSON under a temporary name, then rename: never a half-written file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


# Settings that shape the networks' weights: a run can only resume with the same ones.
ARCHITECTURE = "z_dim x_dim y_dim c_dim scale net_size_g net_depth_g net_size_q df_dim model_name".split()


def compare_settings(stored, model_config, config_path):
    """Check a resumed run's settings (`stored`, from `config_path`) against this run's
    → (error message or None, {setting: (old, new)} of the changed others).

    The architecture must stay; learning rates, batch size and the rule may
    change between sessions (e.g. lower learning rates for a later phase).
    """
    import inspect

    from model import CPPNVAE

    # A setting newer than the run's config held its default there.
    defaults = {name: p.default for name, p in inspect.signature(CPPNVAE).parameters.items()}
    stored = {k: stored.get(k, defaults.get(k)) for k in model_config}
    changed = {k: (stored[k], v) for k, v in model_config.items() if stored[k] is not None and stored[k] != v}
    fixed = {k: diff for k, diff in changed.items() if k in ARCHITECTURE}
    if fixed:
        diffs = ", ".join(f"{k}: {old} → {new}" for k, (old, new) in sorted(fixed.items()))
        return (
            f"{config_path} holds a run with another network ({diffs}); pass the same flags to resume it, "
            f"or choose a new --save_dir"
        ), {}
    return None, changed


def distribution_strategy():
    """All local GPUs through MirroredStrategy when there are several, else TensorFlow's default (one device)."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def export(run_dir, out_dir):
    """Copy the run in `run_dir` to `out_dir` as weights and config alone."""
    from model import load_trained

    model, config, epoch = load_trained(run_dir)
    os.makedirs(out_dir, exist_ok=True)
    path = model.save_model(out_dir, epoch, include_optimizer=False)
    data = dict(config.get("data", {}))
    if data.get("data_dir_from_run"):
        where = os.path.join(run_dir, data["data_dir_from_run"])
        data["data_dir_from_run"] = os.path.relpath(os.path.realpath(where), os.path.realpath(out_dir))
    write_json_atomically(os.path.join(out_dir, "config.json"), dict(config, data=data, exported_from=run_dir))
    print(f"exported epoch {epoch} of {run_dir} to {path}")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.export:
        from model import CheckpointError

        try:
            export(args.save_dir, args.export)
        except CheckpointError as error:
            parser.exit(2, f"{parser.prog}: error: {error}\n")
        return 0
    # Heavy imports after parsing, so --help and flag errors answer at once.
    import keras

    from callbacks import (EpochCheckpoint, EpochSummary, QualityMetrics, SampleImages, StopOnDivergence,
                           TrainingDiverged)
    from mnist_data import DataError, load_dataset
    from model import CheckpointError, CPPNVAE

    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    print(f"seed: {seed}", flush=True)
    try:
        data = load_dataset(args.dataset, args.data_dir, args.split, seed=seed)
    except DataError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if args.batch_size > data.num_examples:
        parser.exit(2, f"{parser.prog}: error: --batch_size {args.batch_size} is larger than the "
                       f"{data.num_examples} training images\n")
    print(f"training on {data.num_examples} images ({args.data_dir or args.dataset}, split {args.split})")

    keras.utils.set_random_seed(seed)
    strategy = distribution_strategy()
    if strategy.num_replicas_in_sync > 1:
        print(f"training on {strategy.num_replicas_in_sync} devices ({type(strategy).__name__}), "
              f"{args.batch_size // strategy.num_replicas_in_sync} images each per batch")
    with strategy.scope():
        model = CPPNVAE(**{flag: getattr(args, flag) for flag in MODEL_FLAGS}, seed=seed)
        model.compile()
    os.makedirs(args.save_dir, exist_ok=True)
    config_path = os.path.join(args.save_dir, "config.json")
    start, history, changed = 0, [], {}
    if os.path.exists(os.path.join(args.save_dir, "checkpoint")):
        if os.path.exists(config_path):
            with open(config_path) as f:
                stored = json.load(f)
            mismatch, changed = compare_settings(stored.get("model", {}), model.get_config(), config_path)
            if mismatch:
                parser.exit(2, f"{parser.prog}: error: {mismatch}\n")
            history = stored.get("history", [])
        try:
            start = model.load_model(args.save_dir)
        except CheckpointError as error:
            parser.exit(2, f"{parser.prog}: error: {error}\n")
        steps = "/".join(str(int(o.iterations.numpy())) for o in (model.vae_optimizer, model.g_optimizer, model.d_optimizer))
        print(f"resuming from epoch {start} checkpoint in {args.save_dir} (vae/g/d optimizer steps {steps})")
        if not model.optimizer_state_restored:
            print("note: that checkpoint holds weights only (like the shipped model): the optimizers start afresh")
        if changed:
            print("from epoch", start, "on:", ", ".join(f"{k} {old} → {new}" for k, (old, new) in sorted(changed.items())))
            history.append({"from_epoch": start, "changed": {k: [old, new] for k, (old, new) in changed.items()}})
    # Where the digits are, as seen from the run folder: the Sampler finds them from any working directory.
    data_dir = args.data_dir and os.path.relpath(os.path.realpath(args.data_dir), os.path.realpath(args.save_dir))
    source = {"dataset": args.dataset, "data_dir_from_run": data_dir, "split": args.split}
    config = {"model": model.get_config(), "training": vars(args), "data": source, "seed": seed}
    if history:
        config["history"] = history
    write_json_atomically(config_path, config)
    if start >= args.training_epochs:
        print(f"{args.save_dir} already holds {start} epochs (--training_epochs {args.training_epochs}); nothing to do")
        return 0

    # A resumed run continues with new random draws rather than replaying epoch 1's.
    keras.utils.set_random_seed(seed + start)
    # A live progress bar on a terminal; in a log file, only the epoch lines below.
    interactive = sys.stdout.isatty()
    callbacks = [
        StopOnDivergence(),
        keras.callbacks.ProgbarLogger() if interactive else keras.callbacks.History(),
        EpochSummary(args.display_step),
        EpochCheckpoint(args.save_dir, args.checkpoint_step),
    ]
    if args.tensorboard:
        log_dir = os.path.join(args.save_dir, "logs")
        digits = data.center_crops()[:8]
        callbacks += [
            keras.callbacks.TensorBoard(log_dir, write_graph=False, profile_batch=0),
            SampleImages(log_dir, digits),
        ]
        if args.dataset == "mnist" and os.path.exists(args.classifier):
            heldout = None
            if args.data_dir:
                try:
                    heldout = load_dataset(args.dataset, args.data_dir, args.heldout_split, seed=0)
                except DataError as error:
                    print(f"no reconstruction figure: no held-out digits ({error}); set --heldout_split")
            callbacks.append(QualityMetrics(log_dir, keras.saving.load_model(args.classifier), heldout))
    try:
        model.fit(
            data.tf_dataset(args.batch_size, seed=seed + start),
            epochs=args.training_epochs,
            initial_epoch=start,
            shuffle=False,
            callbacks=callbacks,
            verbose=1 if interactive else 0,
        )
    except TrainingDiverged as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
