"""A run folder: what train.py leaves and the Sampler loads — checkpoints plus `config.json`.

`config.json` holds `system` (a key of `settings.SYSTEMS`), `model` (the
constructor settings), `training` (the flags of the last session),
`data` (where the images came from, paths relative to the folder),
`seed`, and `history` (settings changed on resume). An exported folder
(weights only, e.g. the shipped `save/`) also holds `exported_from`;
training never writes into one (`check_trainable`).
"""

import importlib
import json
import os
import shutil

import latent_prior
import settings

CONFIG_FILE = "config.json"


class RunFolderError(Exception):
    """A run folder cannot be used as asked; the message says why and what to do."""


class CheckpointError(RunFolderError):
    """A checkpoint is missing, damaged or does not fit the model; the message says which and why."""


def system_class(system):
    """The model class of a system name (imports TensorFlow)."""
    where = settings.SYSTEMS[system]
    return getattr(importlib.import_module(where.module), where.class_name)


def has_checkpoint(run_dir):
    return os.path.exists(os.path.join(run_dir, "checkpoint"))


def read_config(run_dir):
    """The folder's config.json as a dict ({} if there is none), or a clear error if it is damaged."""
    path = os.path.join(run_dir, CONFIG_FILE)
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            config = json.load(f)
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path} cannot be read ({error}); restore it from a copy, or move the folder "
                             f"away and train afresh") from None
    if not isinstance(config, dict):
        raise RunFolderError(f"{path} is not a run's config (a JSON object was expected)")
    return config


def system_of(config):
    """The system a config names; runs written before systems had names are cppnvae."""
    system = config.get("system", "cppnvae")
    if system not in settings.SYSTEMS:
        raise RunFolderError(f"config.json names system {system!r}, which this version does not know "
                             f"(known: {', '.join(settings.SYSTEMS)})")
    return system


def write_json_atomically(path, data):
    """Write JSON under a temporary name, then rename: never a half-written file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def write_config(run_dir, config):
    write_json_atomically(os.path.join(run_dir, CONFIG_FILE), config)


def prepare(run_dir):
    """Create the folder (or a clear error) and remove temporary checkpoint folders a killed save left."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise RunFolderError(f"--save_dir {run_dir} is a file, not a folder; choose another --save_dir")
    try:
        os.makedirs(run_dir, exist_ok=True)
    except OSError as error:
        raise RunFolderError(f"cannot create --save_dir {run_dir} ({error.strerror}); choose a folder you "
                             f"can write to") from None
    if not os.access(run_dir, os.W_OK):
        raise RunFolderError(f"--save_dir {run_dir} is not writable; choose a folder you can write to")
    for name in os.listdir(run_dir):
        if name.endswith("_temp") and os.path.isdir(os.path.join(run_dir, name)):
            shutil.rmtree(os.path.join(run_dir, name), ignore_errors=True)


def check_trainable(run_dir, config):
    """Refuse to train into an exported model folder (such as the shipped `save/`)."""
    if config.get("exported_from") or config.get("shipped"):
        raise RunFolderError(
            f"{run_dir} holds an exported model (weights only, e.g. a shipped one), which training would "
            f"overwrite; train into a new folder instead, starting from it if you like: "
            f"--init_from {run_dir} --save_dir runs/my-run"
        )


def compare_settings(stored, model_config, system):
    """A resumed run's stored settings against this session's → (error message or None, {name: (old, new)}).

    The network must stay; learning rates, batch size and the rule may change
    between sessions (e.g. lower learning rates for a later phase).
    """
    # A setting newer than the run's config held its default there.
    stored = {k: stored.get(k, settings.DEFAULTS[system].get(k)) for k in model_config}
    changed = {k: (stored[k], v) for k, v in model_config.items() if stored[k] is not None and stored[k] != v}
    fixed = {k: diff for k, diff in changed.items() if settings.SETTINGS[k].kind == "network"}
    if fixed:
        diffs = ", ".join(f"{k}: {old} → {new}" for k, (old, new) in sorted(fixed.items()))
        return (f"the run holds another network ({diffs}); pass the same flags to resume it, "
                f"or choose a new --save_dir"), {}
    return None, changed


def load_trained(model_dir="save", batch_size=1, optimizers=False):
    """The model a training run left in `model_dir`, built from its config.json → (model, config, epoch).

    With `optimizers` the model is compiled first, so the optimizers' state is restored too where the
    checkpoint has it (`model.optimizer_state_restored`)."""
    if not has_checkpoint(model_dir):
        raise CheckpointError(
            f"no trained model in {model_dir!r} (expected a `checkpoint` file from train.py there). "
            f"Train one with `python train.py --save_dir {model_dir}`, pass model_dir=..., or for "
            f"random-weight art give art settings: Sampler(z_dim=8, scale=10.0, net_size=32)"
        )
    config = read_config(model_dir)
    model = system_class(system_of(config))(**dict(config.get("model", {}), batch_size=batch_size))
    if optimizers:
        model.compile()
    epoch = model.load_model(model_dir)
    return model, config, epoch


def relative_data_dir(data_dir, run_dir):
    """Where the data is, as seen from the run folder, so the run finds it from any working directory."""
    return data_dir and os.path.relpath(os.path.realpath(data_dir), os.path.realpath(run_dir))


def training_data(config, run_dir):
    """Where the run in `run_dir` read its images: {dataset, data_dir, split}."""
    data = config.get("data")
    if data is None:  # written before config.json had a "data" section
        training = config.get("training", {})
        return {key: training.get(key) for key in ("dataset", "data_dir", "split")}
    data_dir = data.get("data_dir_from_run")
    if data_dir:
        data_dir = os.path.normpath(os.path.join(run_dir, data_dir))
    return {"dataset": data.get("dataset"), "data_dir": data_dir, "split": data.get("split")}


def training_images(config, run_dir, model, data_dir=None):
    """The images the run in `run_dir` trained on (its config.json's data), or those of `data_dir` → DataSet,
    cropped to the model's size."""
    from datasets import load_dataset

    source, data = training_data(config, run_dir), config.get("data") or {}
    return load_dataset(source["dataset"] or "mnist", data_dir or source["data_dir"], source["split"], seed=0,
                        class_name=data.get("class"), crop_size=model.x_dim, c_dim=model.c_dim,
                        resize=data.get("resize"))


def export(run_dir, out_dir):
    """Copy the run in `run_dir` to `out_dir` as weights and a portable config (no machine paths) → its epoch."""
    model, config, epoch = load_trained(run_dir)
    prepare(out_dir)
    model.save_model(out_dir, epoch, include_optimizer=False, max_to_keep=1)  # an export holds one model
    data = dict(config.get("data", {}))
    data["data_dir_from_run"] = relative_data_dir(training_data(config, run_dir)["data_dir"], out_dir)
    training = {k: v for k, v in config.get("training", {}).items()
                if not (isinstance(v, str) and os.path.isabs(v))}
    exported = dict(config, system=system_of(config), data=data, training=training,
                    exported_from=os.path.basename(os.path.normpath(run_dir)))
    write_config(out_dir, exported)
    prior = os.path.join(run_dir, latent_prior.FILE)
    if os.path.exists(prior):
        temp = os.path.join(out_dir, latent_prior.FILE + ".tmp")
        shutil.copyfile(prior, temp)
        os.replace(temp, os.path.join(out_dir, latent_prior.FILE))
    return epoch
