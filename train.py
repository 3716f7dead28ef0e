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
import warnings


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
        description="Train a CPPN: Ha's CPPN-GAN-VAE (digits or colour), the residual CPPN with a classifier "
                    "critic, or the CPPN-WGAN-GP; on MNIST-style digits, CIFAR-10 or your own pictures.",
        epilog="Examples (offline): python train.py --data-dir ../shared/mnist --split t10k;  "
               "python train.py --model wgan-gp --dataset folder --data-dir my_pictures --resize 32;  "
               "online: python train.py --dataset cifar10 --class frog",
    )
    add = p.add_argument
    add("--model", choices=tuple(SYSTEMS), default=None,
        help="training rule: cppnvae (Ha's GAN+VAE, posts 000/003), resnet (residual CPPN, classifier critic, "
             "post 001), wgan-gp (post 004) (default: cppnvae, or the resumed run's)")
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default="mnist",
                      help="tensorflow-datasets name, or folder: your own PNG/JPEG files in --data-dir (default: mnist)")
    data.add_argument("--data-dir", "--data_dir", dest="data_dir", default=None,
                      help="folder of IDX files (<split>-images-idx3-ubyte.gz, ...) to read instead of tfds; "
                           "with --dataset folder, the folder of pictures (one subfolder per class, optionally)")
    data.add_argument("--split", default=None,
                      help="which split to train on: train, t10k (tfds: test), train5k, train+test, ... "
                           "(default: train; cifar10: train+test)")
    data.add_argument("--class", dest="class_name", default=None,
                      help="train on one class only, by name: frog, truck, ... for cifar10, 0-9 for digits, "
                           "a subfolder's name for folders")
    data.add_argument("--c_dim", "--c-dim", type=int, choices=(1, 3), default=None,
                      help="1 grey, 3 colour (default: as the data is; colour pictures become grey with 1)")
    data.add_argument("--resize", type=_number(int, 2), default=None, metavar="N",
                      help="folders: cut each picture to its central square and scale it to N×N first "
                           "(needed when sizes differ); train on random x_dim crops of that")
    data.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                      help="random horizontal flips (default: on for cifar10, off otherwise)")
    add("--training_epochs", "--training-epochs", type=positive_int, default=100,
        help="train until this many epochs are complete (default: 100)")
    add("--display_step", "--display-step", type=positive_int, default=1,
        help="print the epoch averages every this many epochs (default: 1)")
    add("--checkpoint_step", "--checkpoint-step", type=positive_int, default=1,
        help="checkpoint every this many epochs (default: 1)")
    add("--batch_size", "--batch-size", type=positive_int, default=None, help="default: 500; wgan-gp 50")
    add("--learning_rate", "--learning-rate", type=positive_float, default=None,
        help="generator optimizer's learning rate (default: 0.005; wgan-gp 1e-4)")
    add("--learning_rate_vae", "--learning-rate-vae", type=positive_float, default=None,
        help="VAE optimizer's learning rate (default: 0.001)")
    add("--learning_rate_d", "--learning-rate-d", type=positive_float, default=None,
        help="discriminator optimizer's learning rate (default: 0.001; wgan-gp 1e-4)")
    add("--keep_prob", "--keep-prob", type=_number(float, 0.0, 1.0, low_open=True), default=None,
        help="encoder dropout keep probability (default: 1.0)")
    add("--beta1", type=_number(float, 0.0, 1.0, high_open=True), default=None,
        help="Adam beta1 of all optimizers (default: 0.65; wgan-gp 0.5)")
    net = p.add_argument_group("networks (defaults: the post of the chosen model and data)")
    net.add_argument("--x_dim", "--x-dim", type=positive_int, default=None,
                     help="side of the square training images (26 digits, 30 colour, 28 wgan-gp)")
    net.add_argument("--z_dim", "--z-dim", type=positive_int, default=None, help="latent size (32; wgan-gp 128)")
    net.add_argument("--net_size_g", "--net-size-g", type=positive_int, default=None,
                     help="generator units per layer (128; colour 64; resnet 6)")
    net.add_argument("--net_depth_g", "--net-depth-g", type=positive_int, default=None,
                     help="generator depth (4; colour 8; resnet: 24 residual blocks)")
    net.add_argument("--architecture", default=None,
                     help="generator activations, a name from model.ARCHITECTURES: cppnvae (default), frog "
                          "(colour default), relu_tanh, tanh (wgan-gp default), resnet (resnet default), ...")
    net.add_argument("--radius", dest="use_radius", action=argparse.BooleanOptionalAction, default=None,
                     help="feed the generator r = sqrt(x² + y²) besides x and y (default: on)")
    net.add_argument("--df_dim", "--df-dim", type=positive_int, default=None,
                     help="discriminator filters of its first layer (24; colour 20; resnet 32)")
    net.add_argument("--reconstruction", choices=("bernoulli", "l2"), default=None,
                     help="cppnvae's pixel loss (bernoulli; colour l2)")
    rule = p.add_argument_group("training rule (defaults: upstream code)")
    rule.add_argument("--n_vae_steps", "--n-vae-steps", type=count, default=None,
                      help="VAE steps per batch (4; colour 16; resnet 0)")
    rule.add_argument("--n_handicap", "--n-handicap", type=count, default=None,
                      help="max generator steps per batch (4; colour 16; resnet 16)")
    rule.add_argument("--g_stop_loss", "--g-stop-loss", type=loss_threshold, default=None,
                      help="stop generator steps once g_loss is below this (0.6)")
    rule.add_argument("--th_low", "--th-low", type=loss_threshold, default=None,
                      help="train D only while d_loss is above this (0.6)")
    rule.add_argument("--th_high", "--th-high", type=loss_threshold, default=None,
                      help="train D only while g_loss is below this (0.75)")
    rule.add_argument("--n_d_steps", "--n-d-steps", type=count, default=None, help="max D steps per batch (1; resnet 8)")
    rule.add_argument("--prior_samples", "--prior-samples", type=loss_threshold, default=None,
                      help="not upstream: add this share of the batch, drawn from the prior, to the images D and "
                           "G judge, so prior samples learn to look like digits too (0.0)")
    rule.add_argument("--n_critic", "--n-critic", type=positive_int, default=None,
                      help="wgan-gp: critic steps per generator step (5)")
    rule.add_argument("--gp_lambda", "--gp-lambda", type=loss_threshold, default=None,
                      help="wgan-gp: weight of the gradient penalty (10)")
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


DATASETS = ("mnist", "fashion_mnist", "cifar10", "folder")
SYSTEMS = ("cppnvae", "resnet", "wgan-gp")
# Settings by training rule where train.py's defaults differ from the constructors' (upstream's train.py
# values for Ha's models; the WGAN-GP post's for wgan-gp), and system C's for cppnvae on colour images.
UPSTREAM_TRAIN = dict(batch_size=500, learning_rate=0.005, learning_rate_vae=0.001, learning_rate_d=0.001, beta1=0.65)
PRESETS = {
    "cppnvae": UPSTREAM_TRAIN,
    "cppnvae-colour": dict(x_dim=30, net_size_g=64, net_depth_g=8, df_dim=20, architecture="frog",
                           reconstruction="l2", n_vae_steps=16, n_handicap=16),
    "resnet": UPSTREAM_TRAIN,
    "wgan-gp": dict(batch_size=50),
}
# Settings that shape the networks' weights: a run can only resume with the same ones.
ARCHITECTURE = ("z_dim x_dim y_dim c_dim scale net_size_g net_depth_g net_size_q df_dim model_name architecture "
                "use_radius n_classes critic_dim").split()


def model_class(system):
    from model import SYSTEMS as classes

    return classes[system]


def model_settings(args, system, c_dim, n_classes, stored=None):
    """The constructor settings of this run's model: the class's defaults, the presets for
    `system` and the data, a resumed run's `stored` settings, then the flags given."""
    import inspect

    cls = model_class(system)
    accepted = set(inspect.signature(cls).parameters) - {"seed", "kwargs"}
    settings = dict(PRESETS[system])
    if system == "cppnvae" and c_dim == 3:
        settings.update(PRESETS["cppnvae-colour"])
    settings.update(c_dim=c_dim, n_classes=n_classes)
    settings.update(stored or {})
    settings.update({k: v for k, v in vars(args).items() if v is not None})
    if "x_dim" in settings and (args.x_dim is not None or not stored):
        settings["y_dim"] = settings["x_dim"]
    return cls, {k: v for k, v in settings.items() if k in accepted}


def write_json_atomically(path, data):
    """Write JSON under a temporary name, then rename: never a half-written file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def compare_settings(stored, model_config, config_path, system="cppnvae"):
    """Check a resumed run's settings (`stored`, from `config_path`) against this run's
    → (error message or None, {setting: (old, new)} of the changed others).

    The architecture must stay; learning rates, batch size and the rule may
    change between sessions (e.g. lower learning rates for a later phase).
    """
    import inspect

    # A setting newer than the run's config held its default there.
    defaults = {name: p.default for name, p in inspect.signature(model_class(system)).parameters.items()}
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

    # Data warnings (e.g. unreadable pictures skipped) as one plain line, not with a source line.
    warnings.formatwarning = lambda message, category, *rest, **kw: f"warning: {message}\n"

    def fail(message):
        parser.exit(2, f"{parser.prog}: error: {message}\n")

    config_path = os.path.join(args.save_dir, "config.json")
    resuming = os.path.exists(os.path.join(args.save_dir, "checkpoint"))
    stored = {}
    if resuming and os.path.exists(config_path):
        with open(config_path) as f:
            stored = json.load(f)
    stored_system = stored.get("system", "cppnvae") if stored else None
    system = args.model or stored_system or "cppnvae"
    if stored_system and system != stored_system:
        fail(f"{args.save_dir} holds a {stored_system} run; resume it with --model {stored_system}, "
             f"or choose a new --save_dir for a {system} run")

    # Heavy imports after parsing, so --help and flag errors answer at once.
    import keras

    from callbacks import (EpochCheckpoint, EpochSummary, QualityMetrics, SampleImages, StopOnDivergence,
                           TrainingDiverged)
    from mnist_data import DataError, load_dataset
    from model import CheckpointError

    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    print(f"seed: {seed}", flush=True)
    load = dict(class_name=args.class_name, flip=args.flip, c_dim=args.c_dim, resize=args.resize)
    try:
        data = load_dataset(args.dataset, args.data_dir, args.split, seed=seed, crop_size=1, **load)
    except DataError as error:
        fail(error)
    c_dim = data.images.shape[-1]
    n_classes = len(data.class_names or ()) or 1
    cls, settings = model_settings(args, system, c_dim, n_classes, stored.get("model"))
    keras.utils.set_random_seed(seed)
    strategy = distribution_strategy()
    with strategy.scope():
        try:
            model = cls(**settings, seed=seed)
        except ValueError as error:
            fail(error)
        model.compile()
    try:
        data.set_crop_size(model.x_dim)
    except DataError as error:
        fail(error)
    if model.images_per_step > data.num_examples:
        fail(f"a training step takes {model.images_per_step} images (--batch_size {model.batch_size}) but there "
             f"are only {data.num_examples}; lower --batch_size")
    what = args.data_dir or args.dataset
    print(f"training {system} on {data.num_examples} {'colour' if c_dim == 3 else 'grey'} images ({what}"
          f"{', split ' + args.split if args.split else ''}{', class ' + args.class_name if args.class_name else ''})")
    if strategy.num_replicas_in_sync > 1:
        print(f"training on {strategy.num_replicas_in_sync} devices ({type(strategy).__name__}), "
              f"{model.batch_size // strategy.num_replicas_in_sync} images each per batch")
    os.makedirs(args.save_dir, exist_ok=True)
    start, history, changed = 0, [], {}
    if resuming:
        if stored:
            mismatch, changed = compare_settings(stored.get("model", {}), model.get_config(), config_path, system)
            if mismatch:
                fail(mismatch)
            history = stored.get("history", [])
        try:
            start = model.load_model(args.save_dir)
        except CheckpointError as error:
            fail(error)
        steps = ", ".join(f"{name.removesuffix('_optimizer')} {int(getattr(model, name).iterations.numpy())}"
                          for name in model.LEARNING_RATE_OF)
        print(f"resuming from epoch {start} checkpoint in {args.save_dir} (optimizer steps: {steps})")
        if not model.optimizer_state_restored:
            print("note: that checkpoint holds weights only (like the shipped model): the optimizers start afresh")
        if changed:
            print("from epoch", start, "on:", ", ".join(f"{k} {old} → {new}" for k, (old, new) in sorted(changed.items())))
            history.append({"from_epoch": start, "changed": {k: [old, new] for k, (old, new) in changed.items()}})
    # Where the data is, as seen from the run folder: the Sampler finds it from any working directory.
    data_dir = args.data_dir and os.path.relpath(os.path.realpath(args.data_dir), os.path.realpath(args.save_dir))
    source = {"dataset": args.dataset, "data_dir_from_run": data_dir, "split": args.split, "class": args.class_name,
              "resize": args.resize, "ink": data.ink, "class_names": data.class_names}
    config = {"system": system, "model": model.get_config(), "training": vars(args), "data": source, "seed": seed}
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
        callbacks += [
            keras.callbacks.TensorBoard(log_dir, write_graph=False, profile_batch=0),
            SampleImages(log_dir, data.center_crops()[:8], ink=data.ink),
        ]
        digits = args.dataset == "mnist" and c_dim == 1 and args.class_name is None
        if digits and os.path.exists(args.classifier):
            heldout = None
            if args.data_dir and model.has_encoder:
                try:
                    heldout = load_dataset(args.dataset, args.data_dir, args.heldout_split, seed=0,
                                           crop_size=model.x_dim)
                except DataError as error:
                    print(f"no reconstruction figure: no held-out digits ({error}); set --heldout_split")
            callbacks.append(QualityMetrics(log_dir, keras.saving.load_model(args.classifier), heldout))
    try:
        model.fit(
            data.tf_dataset(model.images_per_step, seed=seed + start, with_labels=system == "resnet"),
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
