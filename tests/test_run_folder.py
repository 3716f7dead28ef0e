"""run_folder.py: config.json read, written and compared, shipped folders protected, temporary folders cleaned."""

import json
import os

import pytest

from conftest import ROOT
from run_folder import (RunFolderError, check_trainable, compare_settings, prepare, read_config, system_of,
                        training_data, write_config)


def test_config_round_trips_and_a_damaged_one_is_a_clear_error(tmp_path):
    assert read_config(tmp_path) == {}
    write_config(tmp_path, {"system": "resnet", "model": {"z_dim": 4}})
    assert read_config(tmp_path) == {"system": "resnet", "model": {"z_dim": 4}}
    assert not [name for name in os.listdir(tmp_path) if ".tmp-" in name]
    (tmp_path / "config.json").write_text('{"system": ')
    with pytest.raises(RunFolderError, match="config.json cannot be read"):
        read_config(tmp_path)


def test_system_names_old_runs_and_unknown_ones():
    assert system_of({}) == "cppnvae"
    with pytest.raises(RunFolderError, match="names system 'gan'.*known: cppnvae, resnet, wgan-gp"):
        system_of({"system": "gan"})


def test_only_the_network_must_match_on_resume():
    stored = {"z_dim": 32, "learning_rate": 0.005}
    error, changed = compare_settings(stored, {"z_dim": 32, "learning_rate": 0.001}, "cppnvae")
    assert error is None and changed == {"learning_rate": (0.005, 0.001)}
    error, _ = compare_settings(stored, {"z_dim": 16, "learning_rate": 0.005}, "cppnvae")
    assert "another network (z_dim: 32 → 16)" in error
    # A setting the stored run predates held its default there.
    assert compare_settings({}, {"prior_samples": 0.0}, "cppnvae") == (None, {})


def test_the_shipped_model_is_protected_and_its_paths_are_portable():
    config = read_config(os.path.join(ROOT, "save"))
    with pytest.raises(RunFolderError, match="--init_from save"):
        check_trainable("save", config)
    check_trainable("runs/mine", {"system": "cppnvae"})
    strings = json.dumps(config)
    assert config["system"] == "cppnvae" and "/work/" not in strings
    data = training_data(config, os.path.join(ROOT, "save"))
    assert os.path.normpath(data["data_dir"]) == os.path.normpath(os.path.join(ROOT, "..", "shared", "mnist"))


def test_prepare_makes_the_folder_and_removes_what_a_killed_save_left(tmp_path):
    run = tmp_path / "a" / "run"
    prepare(str(run))
    (run / "model.ckpt-3_temp").mkdir()
    (run / "model.ckpt-3_temp" / "part").write_bytes(b"half")
    (run / "keep_temp.txt").write_text("a file, not a save")
    prepare(str(run))
    assert sorted(os.listdir(run)) == ["keep_temp.txt"]
    with pytest.raises(RunFolderError, match="is a file, not a folder"):
        prepare(str(run / "keep_temp.txt"))
