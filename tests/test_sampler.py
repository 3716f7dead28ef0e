"""sampler.py: the posts' IPython snippets, files decoded back, the command line, bad input."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image, ImageSequence

import sampler as sampler_module
from conftest import ROOT, digit_like, write_split
from mnist_data import DataError
from model import CheckpointError, CPPNVAE
from render import to_uint8, write_gif, write_mp4
from sampler import Sampler, main


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with `save/` (an untrained CPPNVAE: its pictures change with z) and the IDX digits it names."""
    root = tmp_path_factory.mktemp("work")
    images, labels = digit_like(60)
    write_split(root / "digits", "train", images, labels)
    model = CPPNVAE(batch_size=20, seed=0)
    model.save_model(str(root / "save"), 1)
    data = {"dataset": "mnist", "data_dir_from_run": os.path.join("..", "digits"), "split": "train"}
    config = {"model": model.get_config(), "data": data}
    (root / "save" / "config.json").write_text(json.dumps(config))
    return root


def gif_frames(path):
    """(number of frames, durations in ms) of a GIF, decoded with Pillow."""
    with Image.open(path) as gif:
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
    return len(durations), durations


def run_ipython(script, cwd):
    """Run IPython on `script` headless (no display, no backend chosen), as a user at a terminal would."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    path = os.path.join(cwd, "snippet.ipy")
    with open(path, "w") as f:
        f.write(textwrap.dedent(script))
    result = subprocess.run(
        [sys.executable, "-m", "IPython", "--quick", "--no-banner", "--colors=NoColor", path],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result.stdout


# --------------------------------------------------------------------------- the posts in IPython


def test_post_000_snippets_in_ipython(workdir):
    out = run_ipython(f"""
        %run -i {ROOT}/sampler.py
        sampler = Sampler()
        z = sampler.generate_z()
        img = sampler.generate(z)
        print("shape", img.shape, z.shape, (sampler.z == z).all())
        sampler.show_image(img)
        sampler.save_png(img, "sample.png")
        sampler.save_png(img, "small.png", specific_size=(100, 50))
        m = sampler.get_random_mnist()
        sampler.show_image(m)
        z_m = sampler.encode(m)
        big = sampler.generate(z_m, x_dim=130, y_dim=130)
        sampler.show_image_from_z(z_m)
        frames = sampler.morph(z, z_m, n_total_frame=5, x_dim=64, y_dim=64, sinusoid=True)
        sampler.save_anim_gif(frames, "morph.gif", duration=0.2)
        two = sampler.get_random_specific_mnist(2)
        sampler.generate_random_label(2)
        x, label = sampler.get_random_mnist(with_label=True)
        print("label", label, "digit", two.shape, "big", big.shape)
        """, workdir)
    assert "shape (512, 512, 1) (1, 32) True" in out
    assert "digit (26, 26, 1) big (130, 130, 1)" in out
    assert Image.open(workdir / "sample.png").size == (512, 512)
    assert Image.open(workdir / "small.png").size == (100, 50)
    assert gif_frames(workdir / "morph.gif") == (5, [200] * 5)


def test_post_002_snippets_in_ipython(tmp_path):
    out = run_ipython("""
        %run -i {root}/sampler.py
        sampler = Sampler(z_dim = 8, scale = 10.0, net_size = 32)
        z1 = sampler.generate_z()
        img_data = sampler.generate(z1)
        sampler.show_image(img_data)
        sampler.reinit()
        sampler.show_image(sampler.generate(z1))
        sampler.save_png(img_data, 'output.png')
        z2 = sampler.generate_z()
        sampler.show_image(sampler.generate(z2))
        sampler.save_anim_gif(z1, z2, 'output.gif', x_dim=64, y_dim=64)
        print("z", z1.shape, float(abs(z1).max()) <= 1.0, "img", img_data.shape)
        %run -i {root}/sampler.py
        sampler = Sampler(z_dim = 8, c_dim = 3, scale = 10.0, net_size = 32)
        colour = sampler.generate(sampler.generate_z(), x_dim=200, y_dim=100)
        sampler.save_png(colour, 'colour.png')
        print("colour", colour.shape)
        """.format(root=ROOT), str(tmp_path))
    assert "z (1, 8) True img (1060, 1080, 1)" in out and "colour (100, 200, 3)" in out
    assert Image.open(tmp_path / "output.png").size == (1080, 1060)
    assert Image.open(tmp_path / "colour.png").mode == "RGB"
    assert gif_frames(tmp_path / "output.gif") == (23, [500] + [100] * 10 + [1000] + [100] * 10 + [500])


# --------------------------------------------------------------------------- files decoded back


def test_png_pixels_are_inverted_255(tmp_path):
    sampler = Sampler(z_dim=4, net_size=8, seed=0)
    image = sampler.generate(x_dim=33, y_dim=17)
    sampler.save_png(image, tmp_path / "a.png")
    decoded = np.asarray(Image.open(tmp_path / "a.png"))
    assert decoded.shape == (17, 33)
    np.testing.assert_array_equal(decoded, ((1.0 - image[..., 0]) * 255.0).astype(np.uint8))
    colour = Sampler(z_dim=4, c_dim=3, net_size=8, seed=0).generate(x_dim=9, y_dim=7)
    Sampler(z_dim=4, net_size=8).save_png(colour, tmp_path / "c.png")
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "c.png")), ((1.0 - colour) * 255.0).astype(np.uint8))
    assert oct(os.stat(tmp_path / "a.png").st_mode & 0o777) != oct(0o600)


def test_morph_gif_frames_and_timing_both_ways(tmp_path):
    sampler = Sampler(z_dim=4, net_size=8, seed=1)
    z1, z2 = sampler.generate_z(), sampler.generate_z()
    sampler.save_anim_gif(z1, z2, tmp_path / "there.gif", n_frame=3, duration1=0.3, duration2=0.7, duration=0.05,
                          x_dim=16, y_dim=16, reverse=False)
    assert gif_frames(tmp_path / "there.gif") == (5, [300, 50, 50, 50, 700])
    sampler.save_anim_gif(z1, z2, str(tmp_path / "back.gif"), n_frame=3, x_dim=16, y_dim=16)
    assert gif_frames(tmp_path / "back.gif") == (9, [500, 100, 100, 100, 1000, 100, 100, 100, 500])
    with Image.open(tmp_path / "back.gif") as gif:
        assert gif.info.get("loop") == 0


def test_morph_factors_and_endpoints():
    sampler = Sampler(z_dim=4, net_size=8, seed=2)
    z1, z2 = sampler.generate_z(), sampler.generate_z()
    frames = sampler.morph(z1, z2, n_total_frame=4, x_dim=8, y_dim=8, scale=10.0)
    assert len(frames) == 4
    np.testing.assert_allclose(frames[0], sampler.generate(z1, 8, 8, 10.0), atol=1e-6)
    np.testing.assert_allclose(frames[-1], sampler.generate(z2, 8, 8, 10.0), atol=1e-6)
    middle = z1 + (z2 - z1) * np.sin(1 / 3 * np.pi / 2)
    eased = sampler.morph(z1, z2, n_total_frame=4, x_dim=8, y_dim=8, scale=10.0, sinusoid=True)
    np.testing.assert_allclose(eased[1], sampler.generate(middle, 8, 8, 10.0), atol=1e-5)


def test_mp4_has_every_frame_at_its_size(tmp_path):
    frames = [np.full((48, 64, 1), i / 12, np.float32) for i in range(12)]
    write_mp4(frames, tmp_path / "a.mp4", fps=24)
    reader = imageio.get_reader(tmp_path / "a.mp4", format="FFMPEG")
    decoded = [frame for frame in reader]
    assert len(decoded) == 12 and decoded[0].shape == (48, 64, 3)
    assert reader.get_meta_data()["fps"] == 24
    with pytest.raises(ValueError, match="even width and height"):
        write_mp4([np.zeros((5, 5, 1))], tmp_path / "odd.mp4")
    assert not (tmp_path / "odd.mp4").exists()


def test_reinit_changes_the_picture_for_the_same_z():
    sampler = Sampler(z_dim=8, net_size=32, seed=3)
    z = sampler.generate_z()
    before = sampler.generate(z, 32, 32)
    sampler.reinit()
    after = sampler.generate(z, 32, 32)
    assert np.abs(before - after).mean() > 0.05


def test_same_seed_same_png_bytes(tmp_path):
    for name in ("a", "b"):
        sampler = Sampler(z_dim=8, c_dim=3, net_size=32, seed=11)
        sampler.save_png(sampler.generate(x_dim=90, y_dim=60), tmp_path / f"{name}.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    other = Sampler(z_dim=8, c_dim=3, net_size=32, seed=12)
    other.save_png(other.generate(x_dim=90, y_dim=60), tmp_path / "c.png")
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "c.png").read_bytes()


@pytest.mark.parametrize("architecture", ["tanh", "softplus_tanh", "sinusoid", "sqrt_abs_tanh", "residual"])
def test_every_named_architecture_draws(architecture):
    image = Sampler(architecture=architecture, seed=0).generate(x_dim=40, y_dim=30)
    assert image.shape == (30, 40, 1) and 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.01


# --------------------------------------------------------------------------- command line


def test_cli_samples_reproduce_from_their_seed(workdir, tmp_path, capsys):
    args = ["sample", "--model-dir", str(workdir / "save"), "--n", "2", "--size", "40x30", "--seed", "9"]
    assert main(args + ["--out", str(tmp_path / "a-{i}.png")]) == 0
    assert main(args + ["--out", str(tmp_path / "b-{i}.png")]) == 0
    out = capsys.readouterr().out
    assert "seed 9, sample 1" in out
    for i in range(2):
        assert Image.open(tmp_path / f"a-{i}.png").size == (40, 30)
        assert (tmp_path / f"a-{i}.png").read_bytes() == (tmp_path / f"b-{i}.png").read_bytes()
    assert (tmp_path / "a-0.png").read_bytes() != (tmp_path / "a-1.png").read_bytes()


def test_cli_grid_of_samples(workdir, tmp_path):
    main(["sample", "--model-dir", str(workdir / "save"), "--n", "10", "--size", "26", "--grid", "4", "--seed", "3",
          "--out", str(tmp_path / "g.png")])
    grid = np.asarray(Image.open(tmp_path / "g.png"))
    assert grid.shape == (3 * 26, 4 * 26)
    assert np.all(grid[52:, 52:] == 255)  # the two empty cells are blank paper
    one = Sampler(model_dir=str(workdir / "save"), seed=3)
    first = one.model.generate(one.generate_z(), 26, 26, 8.0)[0]
    np.testing.assert_array_equal(grid[:26, :26], to_uint8(first))


def test_cli_reconstruct_arithmetic_and_art(workdir, tmp_path, capsys):
    save = str(workdir / "save")
    main(["reconstruct", "--model-dir", save, "--digit", "3", "--size", "64", "--out", str(tmp_path / "r.png")])
    assert Image.open(tmp_path / "r-digit.png").size == (26, 26) and Image.open(tmp_path / "r.png").size == (64, 64)
    main(["arithmetic", "--model-dir", save, "--a", "9", "--b", "1", "--c", "7", "--size", "32", "--out", str(tmp_path / "x.png")])
    assert "z_9 + (z_1 - z_7)" in capsys.readouterr().out
    main(["art", "--c-dim", "3", "--architecture", "sinusoid", "--size", "64x48", "--seed", "1", "--out", str(tmp_path / "art.png")])
    assert Image.open(tmp_path / "art.png").size == (64, 48) and Image.open(tmp_path / "art.png").mode == "RGB"


def test_cli_digit_morph_as_gif_and_mp4(workdir, tmp_path, monkeypatch):
    save = str(workdir / "save")
    # An untrained encoder maps every digit to nearly one z; give each class its own.
    chosen = []
    pick = lambda sampler, label: chosen.append(label) or (None, np.random.default_rng(label).normal(size=(1, 32)))
    monkeypatch.setattr(sampler_module, "_digit_z", pick)
    main(["morph", "--model-dir", save, "--size", "32", "--frames", "3", "--seed", "4", "--out", str(tmp_path / "m.gif")])
    count, durations = gif_frames(tmp_path / "m.gif")
    assert chosen == list(range(10))
    assert count == 30 and set(durations) == {40}  # 1/24 s, in GIF's whole centiseconds
    main(["morph", "--model-dir", save, "--size", "32x24", "--frames", "2", "--out", str(tmp_path / "m.mp4")])
    frames = [frame for frame in imageio.get_reader(tmp_path / "m.mp4", format="FFMPEG")]  # its len() is inf
    assert len(frames) == 20 and frames[0].shape == (24, 32, 3)


# --------------------------------------------------------------------------- bad input


def test_digits_are_found_from_any_working_directory(workdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sampler = Sampler(model_dir=str(workdir / "save"))
    assert sampler.get_random_mnist().shape == (26, 26, 1)
    lost = Sampler(model_dir=str(workdir / "save"), data_dir=str(tmp_path / "gone"))
    with pytest.raises(DataError, match=r"(?s)does not exist.*Sampler\(data_dir=\.\.\., split=\.\.\.\)"):
        lost.get_random_mnist()


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(CheckpointError, match="no trained model in.*Sampler\\(z_dim=8"):
        Sampler(model_dir=str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--model-dir", str(tmp_path / "none")])
    assert exit_info.value.code == 1 and "no trained model" in capsys.readouterr().err


def test_a_missing_fitted_prior_is_a_clear_error(workdir, capsys):
    with pytest.raises(ValueError, match="has no fitted prior.*--fit_prior 10.*or use prior 'normal'"):
        Sampler(model_dir=str(workdir / "save"), prior="fitted")
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--model-dir", str(workdir / "save"), "--prior", "fitted"])
    assert exit_info.value.code == 1 and "has no fitted prior" in capsys.readouterr().err
    assert Sampler(model_dir=str(workdir / "save")).prior.name == "normal"


@pytest.mark.parametrize("flags,message", [(["--size", "0"], "is not a size"), (["--size", "12x"], "is not a size"),
                                           (["--n", "x"], "'x' is not a int"), (["--n", "0"], "0 is out of range"),
                                           (["--seed", "-1"], "argument --seed: -1 is out of range"),
                                           (["--scale", "nan"], "argument --scale: 'nan' is not a number")])
def test_cli_bad_flags(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["art", *flags])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_bad_latents_sizes_and_names():
    sampler = Sampler(z_dim=8, net_size=8)
    with pytest.raises(ValueError, match=r"z must have shape \[batch, 8\]"):
        sampler.generate(np.zeros(5))
    with pytest.raises(ValueError, match="one latent vector"):
        sampler.generate(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="x_dim must be a positive whole number"):
        sampler.generate(x_dim=-4)
    with pytest.raises(ValueError, match="unknown architecture 'spiral'; choose one of cppnvae, tanh"):
        Sampler(architecture="spiral")
    with pytest.raises(RuntimeError, match="needs a trained model"):
        sampler.encode(np.zeros((26, 26)))


def test_reinit_refused_on_a_trained_model(workdir):
    with pytest.raises(RuntimeError, match="would erase this trained model"):
        Sampler(model_dir=str(workdir / "save")).reinit()


def test_unwritable_output_is_a_clear_error_and_leaves_nothing(tmp_path):
    sampler = Sampler(z_dim=4, net_size=8)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sampler.save_png(np.zeros((4, 4, 1)), tmp_path / "no" / "a.png")
    (tmp_path / "taken.png").mkdir()  # a folder where the file should go: unwritable even for root
    with pytest.raises(OSError):
        sampler.save_png(np.zeros((4, 4, 1)), tmp_path / "taken.png")
    assert sorted(os.listdir(tmp_path)) == ["taken.png"] and not os.listdir(tmp_path / "taken.png")


def test_failed_write_leaves_no_file_under_the_name(tmp_path):
    frames = [np.zeros((8, 8, 1)), np.zeros((8, 8, 1)), np.zeros((5, 8, 8, 2))]
    with pytest.raises(ValueError):
        write_gif(frames, tmp_path / "broken.gif", 0.1)
    assert os.listdir(tmp_path) == []
    (tmp_path / "keep.gif").write_bytes(b"old")
    with pytest.raises(ValueError):
        write_gif(frames, tmp_path / "keep.gif", 0.1)
    assert (tmp_path / "keep.gif").read_bytes() == b"old"


def test_to_uint8_passes_finished_pixels_through():
    image = np.random.default_rng(0).random((6, 5, 1)).astype(np.float32)
    pixels = to_uint8(image)
    np.testing.assert_array_equal(to_uint8(pixels), pixels)
    np.testing.assert_array_equal(to_uint8(pixels[..., None]), pixels)


def test_to_uint8_rejects_non_images():
    with pytest.raises(ValueError, match=r"\[height, width, 1 or 3\]"):
        to_uint8(np.zeros((4, 4, 2)))


@pytest.mark.parametrize("settings", [dict(z_dim=0), dict(net_size=0), dict(z_dim=2.5), dict(c_dim=2),
                                      dict(scale=float("nan"))])
def test_art_settings_that_would_abort_tensorflow_are_refused(settings):
    """z_dim=0 used to abort the whole IPython process inside oneDNN (exit 134)."""
    with pytest.raises(ValueError, match=next(iter(settings))):
        Sampler(**settings)


def test_in_ipython_a_bad_setting_leaves_the_session_alive(tmp_path):
    out = run_ipython(
        """
        %run -i {root}/sampler.py
        try:
            Sampler(z_dim=0)
        except ValueError as error:
            print("refused:", error)
        sampler = Sampler(z_dim=4, net_size=8, seed=1)
        try:
            sampler.generate(scale=float("nan"))
        except ValueError as error:
            print("refused:", error)
        print("alive", sampler.generate(x_dim=8, y_dim=8).shape)
        """.replace("{root}", ROOT), str(tmp_path))
    assert "refused: z_dim must be a whole number of at least 1" in out
    assert "refused: scale must be a finite number" in out and "alive (8, 8, 1)" in out


def test_a_render_bigger_than_memory_is_refused_not_killed():
    sampler = Sampler(z_dim=4, net_size=8)
    with pytest.raises(MemoryError, match="GiB for its pixels.*generate_pixels"):
        sampler.generate(x_dim=10**6, y_dim=10**6)


def test_a_truncated_checkpoint_is_a_clear_error_for_the_sampler(workdir, tmp_path, capsys):
    broken = tmp_path / "save"
    shutil.copytree(workdir / "save", broken)
    data = next(broken.glob("model.ckpt-1.data-*"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        Sampler(model_dir=str(broken))
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--model-dir", str(broken), "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and "cannot be read into this cppnvae model" in err and "Traceback" not in err


@pytest.mark.parametrize("out,kind", [("x.bmp", "BMP"), ("x.jpg", "JPEG"), ("x.png", "PNG")])
def test_the_extension_picks_the_image_format(tmp_path, out, kind):
    main(["art", "--size", "16", "--net-size", "8", "--out", str(tmp_path / out)])
    with Image.open(tmp_path / out) as image:
        assert image.format == kind and image.size == (16, 16)


@pytest.mark.parametrize("command,out", [("art", "x.txt"), ("art", "x"), ("morph", "m.png")])
def test_an_output_name_without_a_format_is_refused_before_any_work(workdir, tmp_path, command, out, capsys):
    flags = ["--model-dir", str(workdir / "save")] if command == "morph" else []
    with pytest.raises(SystemExit) as exit_info:
        main([command, *flags, "--out", str(tmp_path / out)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and f"--out {tmp_path / out}" in err and "end the name with" in err
    assert os.listdir(tmp_path) == []


def test_a_huge_size_says_what_it_will_take(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["art", "--size", "100000", "--out", str(tmp_path / "huge.txt")])
    with pytest.raises((SystemExit, MemoryError)):
        main(["art", "--size", "1000000", "--net-size", "8", "--out", str(tmp_path / "huge.png")])
    assert "note: 1000000×1000000 is 1,000,000 megapixels" in capsys.readouterr().out


def test_temperature_scales_the_prior(workdir):
    cold, warm = Sampler(model_dir=str(workdir / "save"), seed=3, temperature=0.5), Sampler(
        model_dir=str(workdir / "save"), seed=3)
    np.testing.assert_allclose(cold.generate_z(), 0.5 * warm.generate_z(), rtol=1e-6)
    with pytest.raises(ValueError, match="temperature must be a number above 0"):
        Sampler(model_dir=str(workdir / "save"), temperature=0)


def test_trained_models_render_adaptively_by_default_within_one_level_of_dense():
    shipped = Sampler(model_dir=os.path.join(ROOT, "save"), seed=5)
    dense = Sampler(model_dir=os.path.join(ROOT, "save"), seed=5, render="dense")
    assert (shipped.render, dense.render, Sampler(z_dim=4, net_size=8).render) == ("auto", "dense", "dense")
    z = shipped.generate_z()
    a, b = shipped.generate_pixels(z, 600, 520).astype(int), dense.generate_pixels(z, 600, 520).astype(int)
    assert np.abs(a - b).max() <= 1
    with pytest.raises(ValueError, match="must be one of dense, adaptive, auto, got 'fast'"):
        Sampler(z_dim=4, render="fast")
