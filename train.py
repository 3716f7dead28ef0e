"""Train a CPPN: `python train.py --dataset mnist` (offline: `--data-dir ../shared/mnist`).

Upstream's flags and defaults, plus where the data comes from, where the run
lives (`--save_dir`, default `runs/<model>-<dataset>`) and a seed. A run
writes `config.json` and checkpoints into its folder, within epochs too, and,
started again, resumes at the batch where the last checkpoint left off.
"""

import argparse
import os
import secrets
import sys
import warnings

import settings
from run_folder import (RunFolderError, check_trainable, compare_settings, has_checkpoint, prepare, read_config,
                        relative_data_dir, system_of, write_config)

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = ("mnist", "fashion_mnist", "cifar10", "folder")  # datasets.DATASETS, without importing numpy for --help
NOT_FLAGS = {"y_dim", "c_dim", "model_name", "n_classes"}  # set from --x_dim and the data


def _add_settings(parser):
    """One flag per model setting (settings.SETTINGS), its help showing each system's default."""
    groups = {"network": parser.add_argument_group("networks (defaults: the post of the chosen model and data)"),
              "training": parser.add_argument_group("training (defaults: the post's train.py)"),
              "rule": parser.add_argument_group("training rule (defaults: the post's code)")}
    for name, setting in settings.SETTINGS.items():
        if setting.parse is None or name in NOT_FLAGS:
            continue
        help = f"{setting.help} ({settings.defaults_text(name)})"
        if setting.parse is bool:
            groups[setting.kind].add_argument(f"--{name.removeprefix('use_')}", dest=name, default=None,
                                              action=argparse.BooleanOptionalAction, help=help)
        else:
            dashed = [f"--{name.replace('_', '-')}"] if "_" in name else []
            parse = dict(choices=setting.parse) if isinstance(setting.parse, tuple) else dict(type=setting.parse)
            groups[setting.kind].add_argument(f"--{name}", *dashed, default=None, help=help, **parse)


def build_parser():
    p = argparse.ArgumentParser(
        description="Train a CPPN: " + "; ".join(f"{name}: {s.post}" for name, s in settings.SYSTEMS.items()) + ".",
        epilog="Examples (offline): python train.py --data-dir ../shared/mnist;  "
               "python train.py --model wgan-gp --dataset folder --data-dir my_pictures --resize 32;  "
               "online: python train.py --dataset cifar10 --class frog",
    )
    p.add_argument("--model", choices=tuple(settings.SYSTEMS), default=None,
                   help="the system to train (default: cppnvae, or the resumed run's)")
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default="mnist",
                      help="tensorflow-datasets name, or folder: your own PNG/JPEG files in --data-dir (default: mnist)")
    data.add_argument("--data-dir", "--data_dir", dest="data_dir", default=None,
                      help="folder of IDX files (<split>-images-idx3-ubyte.gz, ...) to read instead of tfds; "
                           "with --dataset folder, the folder of pictures (one subfolder per class, optionally)")
    data.add_argument("--split", default=None,
                      help="which split to train on: train, t10k (tfds: test), train5k, train+test, ... "
                           "(default: train; cifar10: train+test); folders: subfolders of --data-dir, e.g. "
                           "--data-dir ../shared/cifar10 --split train+test --class frog")
    data.add_argument("--class", dest="class_name", default=None,
                      help="train on one class only, by name: frog, truck, ... for cifar10, 0-9 for digits, "
                           "a subfolder's name for folders")
    data.add_argument("--c_dim", "--c-dim", type=int, choices=(1, 3), default=None,
                      help="1 grey, 3 colour (default: as the data is; colour pictures become grey with 1)")
    data.add_argument("--resize", type=settings.number(int, 2), default=None, metavar="N",
                      help="folders: cut each picture to its central square and scale it to N×N first "
                           "(needed when sizes differ); train on random x_dim crops of that")
    data.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                      help="random horizontal flips (default: on for cifar10, off otherwise)")
    _add_settings(p)
    _add_run_flags(p.add_argument_group("run"))
    return p


def _add_run_flags(run):
    add = run.add_argument
    add("--training_epochs", "--training-epochs", type=settings.positive_int, default=100,
        help="train until this many epochs are complete (default: 100)")
    add("--display_step", "--display-step", type=settings.positive_int, default=1,
        help="print the epoch averages every this many epochs (default: 1)")
    add("--checkpoint_step", "--checkpoint-step", type=settings.positive_int, default=1,
        help="checkpoint every this many epochs (default: 1)")
    add("--checkpoint_minutes", "--checkpoint-minutes", type=settings.threshold, default=5.0,
        help="also checkpoint within an epoch every this many minutes; 0: only at epoch ends (default: 5)")
    add("--checkpoint_batches", "--checkpoint-batches", type=settings.positive_int, default=None,
        help="also checkpoint within an epoch every this many batches (default: off)")
    add("--save_dir", "--save-dir", dest="save_dir", default=None,
        help="the run folder: checkpoints and config.json; an existing run there is resumed "
             "(default: runs/<model>-<dataset>)")
    add("--init_from", "--init-from", metavar="DIR", default=None,
        help="start a new run from the weights of another run or an exported model (e.g. save/)")
    add("--seed", type=settings.count, default=None, help="random seed (default: a fresh one, printed)")
    add("--deterministic", action=argparse.BooleanOptionalAction, default=True,
        help="the same seed gives the same losses, bit for bit, on the same machine (default: on)")
    add("--export", metavar="DIR", default=None,
        help="instead of training: write the run's latest weights (no optimizer state, a quarter "
             "of the size) and a portable config to DIR, e.g. to ship it")
    add("--fit_prior", "--fit-prior", metavar="K", type=settings.positive_int, default=None,
        help="instead of training: fit a K-component Gaussian mixture to the encodings of the run's training "
             "images and keep it beside the weights (latent_prior.npz); samples then draw z from it instead of "
             "N(0, 1), away from the gaps between digits (not upstream; e.g. 10; see latent_prior.py)")
    add("--tensorboard", action=argparse.BooleanOptionalAction, default=True,
        help="log losses, sample images and quality to <save_dir>/logs for TensorBoard (default: on)")
    add("--classifier", default=os.path.join(HERE, "classifier", "mnist26.keras"),
        help="digit classifier that judges each epoch's samples (default: the project's; "
             "skipped when missing or --dataset is not mnist)")
    add("--heldout_split", "--heldout-split", default=None,
        help="split of --data-dir whose digits test reconstructions each epoch (default: t10k; train5k "
             "when training on t10k)")


def default_run_dir(args):
    """Where a run lives when --save_dir is not given: runs/<model>-<dataset>[-<class>], never a shipped folder."""
    name = f"{args.model or 'cppnvae'}-{args.dataset}" + (f"-{args.class_name}" if args.class_name else "")
    return os.path.join("runs", name)


class Plan:
    """What this session will do, worked out before TensorFlow loads: the run folder, its stored run, the system."""

    def __init__(self, args):
        stored_from = args.save_dir
        args.save_dir = args.save_dir or default_run_dir(args)
        self.run_dir = args.save_dir
        self.resuming = has_checkpoint(self.run_dir)
        self.stored = read_config(self.run_dir) if self.resuming else {}
        check_trainable(self.run_dir, self.stored)
        if args.init_from:
            if self.resuming:
                raise RunFolderError(f"{self.run_dir} already holds a run; --init_from starts a new one: "
                                     f"choose a new --save_dir")
            if not has_checkpoint(args.init_from):
                raise RunFolderError(f"--init_from {args.init_from} holds no checkpoint")
            self.stored = read_config(args.init_from)
        stored_system = system_of(self.stored) if self.stored else None
        self.system = args.model or stored_system or "cppnvae"
        if stored_system and self.system != stored_system:
            raise RunFolderError(f"{stored_from or args.init_from} holds a {stored_system} run; resume it with "
                                 f"--model {stored_system}, or choose a new --save_dir for a {self.system} run")
        # A resumed run keeps its seed: the data order of every epoch follows from it.
        self.seed = args.seed if args.seed is not None else self.stored.get("seed") if self.resuming else None
        self.seed = secrets.randbelow(2**31) if self.seed is None else self.seed
        if args.heldout_split is None:
            args.heldout_split = "train5k" if args.split == "t10k" else "t10k"


def model_settings(args, system, c_dim, n_classes, stored=None):
    """The constructor settings of this run's model: the post's defaults for `system` and the data,
    a resumed run's `stored` settings, then the flags given."""
    values = dict(settings.preset(system, c_dim), c_dim=c_dim, n_classes=n_classes)
    values.update(stored or {})
    values.update({k: v for k, v in vars(args).items() if v is not None and k in settings.SETTINGS})
    if args.x_dim is not None or not stored:
        values["y_dim"] = values["x_dim"]
    return {k: v for k, v in values.items() if k in settings.DEFAULTS[system]}


def load_data(args, plan):
    from datasets import load_dataset

    load = dict(class_name=args.class_name, flip=args.flip, c_dim=args.c_dim, resize=args.resize)
    return load_dataset(args.dataset, args.data_dir, args.split, seed=plan.seed, **load)


def build_model(args, plan, data):
    """The model, compiled, restored from the run (or --init_from) when there is one → (model, epoch, changes)."""
    import keras

    from run_folder import system_class

    keras.utils.set_random_seed(plan.seed)
    n_classes = len(data.class_names or ()) or 1
    values = model_settings(args, plan.system, data.images.shape[-1], n_classes, plan.stored.get("model"))
    with distribution_strategy().scope():
        model = system_class(plan.system)(**values, seed=plan.seed)
        model.compile()
    data.set_crop_size(model.x_dim)
    if model.images_per_step > data.num_examples:
        raise ValueError(f"a training step takes {model.images_per_step} images (--batch_size {model.batch_size}) "
                         f"but there are only {data.num_examples}; lower --batch_size")
    if not (plan.resuming or args.init_from):
        return model, 0, {}
    error, changed = compare_settings(plan.stored.get("model", {}), model.get_config(), plan.system)
    if error:
        raise ValueError(f"{plan.run_dir if plan.resuming else args.init_from}: {error}")
    epoch = model.load_model(plan.run_dir if plan.resuming else args.init_from)
    if args.init_from:
        model.batches_done = 0
    return model, epoch, changed


def describe(args, plan, data, model, epoch, changed):
    """Tell the user what this session trains, and from where."""
    what = args.data_dir or args.dataset
    print(f"training {plan.system} on {data.num_examples} {'colour' if model.c_dim == 3 else 'grey'} images ({what}"
          f"{', split ' + args.split if args.split else ''}{', class ' + args.class_name if args.class_name else ''})"
          f" into {plan.run_dir}")
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas > 1:
        print(f"training on {replicas} devices ({type(model.distribute_strategy).__name__}), "
              f"{model.batch_size // replicas} images each per batch")
    if plan.resuming or args.init_from:
        steps = ", ".join(f"{name} {count}" for name, count in model.optimizer_steps().items())
        where = f"batch {model.batches_done} of epoch {epoch + 1}" if model.batches_done else f"epoch {epoch} checkpoint"
        print(f"resuming from {where} in {plan.run_dir if plan.resuming else args.init_from} (optimizer steps: {steps})")
        if not model.optimizer_state_restored:
            print("note: that checkpoint holds weights only (like the shipped model): the optimizers start afresh")
    if changed:
        print("from epoch", epoch, "on:", ", ".join(f"{k} {old} → {new}" for k, (old, new) in sorted(changed.items())))


def record(args, plan, data, model, epoch, changed):
    """Write the run's config.json: system, settings, flags, data source, seed, history of changes."""
    history = list(plan.stored.get("history", []))
    if changed:
        history.append({"from_epoch": epoch, "changed": {k: [old, new] for k, (old, new) in changed.items()}})
    source = {"dataset": args.dataset, "data_dir_from_run": relative_data_dir(args.data_dir, plan.run_dir),
              "split": args.split, "class": args.class_name, "resize": args.resize, "ink": data.ink,
              "class_names": data.class_names}
    config = {"system": plan.system, "model": model.get_config(), "training": vars(args), "data": source,
              "seed": plan.seed}
    if history:
        config["history"] = history
    write_config(plan.run_dir, config)


def callbacks_for(args, plan, data, model):
    """Checkpoints, the divergence guard, epoch lines, and TensorBoard's losses, pictures and quality."""
    import keras

    from callbacks import EpochSummary, QualityMetrics, SampleImages, SampleSpread, StopOnDivergence, TrainingCheckpoint

    interactive = sys.stdout.isatty()
    checkpoint = TrainingCheckpoint(plan.run_dir, args.checkpoint_step, args.checkpoint_minutes,
                                    args.checkpoint_batches, first_batch=model.batches_done)
    found = [StopOnDivergence(), keras.callbacks.ProgbarLogger() if interactive else keras.callbacks.History(),
             EpochSummary(args.display_step), checkpoint]
    if not args.tensorboard:
        return found
    log_dir = os.path.join(plan.run_dir, "logs")
    found += [keras.callbacks.TensorBoard(log_dir, write_graph=False, profile_batch=0),
              SampleImages(log_dir, data.center_crops()[:8], ink=data.ink)]
    digits = args.dataset == "mnist" and model.c_dim == 1 and args.class_name is None
    if digits and os.path.exists(args.classifier):
        heldout = heldout_digits(args, model)
        found.append(QualityMetrics(log_dir, keras.saving.load_model(args.classifier), heldout,
                                    real_images=None if heldout is not None else data.center_crops()))
    else:
        found.append(SampleSpread(log_dir, data.center_crops()))  # collapse shows as a falling spread
    return found


def heldout_digits(args, model):
    """The held-out digits whose reconstructions are judged each epoch, or None."""
    from datasets import load_dataset
    from mnist_data import DataError

    if not args.data_dir:
        return None
    try:
        return load_dataset(args.dataset, args.data_dir, args.heldout_split, seed=0, crop_size=model.x_dim)
    except DataError as error:
        print(f"no reconstruction figure: no held-out digits ({error}); set --heldout_split")
        return None


def fit(args, plan, data, model, epoch, callbacks):
    """Train to --training_epochs: first the rest of an interrupted epoch, then whole epochs."""
    steps = data.batches_per_epoch(model.images_per_step)
    stream = lambda first, skip=0: data.tf_dataset(model.images_per_step, plan.seed, model.x_dim,
                                                   with_labels=plan.system == "resnet", first_epoch=first,
                                                   skip_batches=skip)
    verbose = 1 if sys.stdout.isatty() else 0
    if model.batches_done >= steps:  # a checkpoint at an epoch's last batch (say, with a larger --batch_size)
        epoch, model.batches_done = epoch + 1, 0
    if model.batches_done:
        model.fit(stream(epoch, model.batches_done), epochs=epoch + 1, initial_epoch=epoch,
                  steps_per_epoch=steps - model.batches_done, callbacks=callbacks, verbose=verbose, shuffle=False)
        epoch += 1
    if epoch < args.training_epochs:
        model.fit(stream(epoch), epochs=args.training_epochs, initial_epoch=epoch, steps_per_epoch=steps,
                  callbacks=callbacks, verbose=verbose, shuffle=False)


def distribution_strategy():
    """All local GPUs through MirroredStrategy when there are several, else TensorFlow's default (one device)."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def export(args):
    from run_folder import export as export_run

    run_dir = args.save_dir or default_run_dir(args)
    epoch = export_run(run_dir, args.export)
    print(f"exported epoch {epoch} of {run_dir} to {args.export}")


def fit_prior(args):
    """Fit the latent prior of the run in --save_dir to its training images' encodings (latent_prior.py)."""
    import latent_prior
    from run_folder import load_trained, training_images

    run_dir = args.save_dir or default_run_dir(args)
    model, config, epoch = load_trained(run_dir)
    check_trainable(run_dir, config)
    if not model.has_encoder:
        raise ValueError(f"{run_dir} holds a {model.system} model, which has no encoder to fit a prior to; "
                         f"--fit_prior needs a cppnvae or resnet run")
    z = latent_prior.encodings(model, training_images(config, run_dir, model).center_crops(), seed=0)
    prior = latent_prior.GaussianMixture.fit(z, args.fit_prior, seed=0)
    path = prior.save(run_dir)
    normal = latent_prior.StandardNormal(model.z_dim)
    print(f"fitted {args.fit_prior} Gaussians to the encodings of {len(z)} training images (epoch {epoch}): "
          f"mean log density {prior.log_likelihood(z):.2f} (N(0, 1): {normal.log_likelihood(z):.2f}) → {path}")


def train(args):
    """The session, step by step."""
    plan = Plan(args)
    prepare(plan.run_dir)
    print(f"seed: {plan.seed}", flush=True)
    import tensorflow as tf

    from callbacks import TrainingDiverged

    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    data = load_data(args, plan)
    model, epoch, changed = build_model(args, plan, data)
    describe(args, plan, data, model, epoch, changed)
    record(args, plan, data, model, epoch, changed)
    if epoch >= args.training_epochs:
        print(f"{plan.run_dir} already holds {epoch} epochs (--training_epochs {args.training_epochs}); nothing to do")
        return 0
    try:
        fit(args, plan, data, model, epoch, callbacks_for(args, plan, data, model))
    except TrainingDiverged as error:
        print(f"train.py: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ntrain.py: stopped. {resume_hint(plan.run_dir)}", file=sys.stderr)
        return 130
    return 0


def resume_hint(run_dir):
    """Where an interrupted run stands: its last checkpoint, and how to go on from it.

    Nothing is saved on the way out: the batch under way when Ctrl-C came may
    be half applied, so the last checkpoint is the state that resumes exactly.
    """
    import tensorflow as tf

    last = tf.train.latest_checkpoint(run_dir)
    if last is None:
        return f"No checkpoint was written yet in {run_dir}; the same command starts the run again."
    return f"The last checkpoint is {last}; the same command resumes from it."


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Data warnings (e.g. unreadable pictures skipped) as one plain line, not with a source line.
    warnings.formatwarning = lambda message, category, *rest, **kw: f"warning: {message}\n"
    from mnist_data import DataError

    try:
        if args.fit_prior:
            fit_prior(args)
        if args.export:
            export(args)
        if args.fit_prior or args.export:
            return 0
        return train(args)
    except (RunFolderError, DataError, ValueError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
