"""The other systems of the posts: colour CIFAR-10 (C), the residual classifier-critic GAN (D),
CPPN-WGAN-GP (E), and training on a folder of your own pictures."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from conftest import digit_like
from image_folder import read_image_folder
from mnist_data import DataError, load_dataset
from model import CPPNVAE, CPPNWGANGP, Generator, ResidualCPPNVAE, gradient_penalty, l2_reconstruction_loss
from sampler import Sampler
from train import main

QUICK = ["--training_epochs", "1", "--no-tensorboard", "--seed", "3"]


def write_pictures(folder, n, size=(34, 34), colour=True, seed=0):
    """n smooth random pictures as PNG files in `folder` → their float arrays."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]] / max(size)
    pictures = []
    for i in range(n):
        a, b, c = rng.uniform(1, 6, size=3)
        channels = [0.5 + 0.5 * np.sin(a * xs + k + b * ys * c) for k in range(3 if colour else 1)]
        pixels = (np.stack(channels, axis=-1) * 255).astype(np.uint8)
        Image.fromarray(pixels if colour else pixels[..., 0]).save(os.path.join(folder, f"p{i}.png"))
        pictures.append(pixels)
    return pictures


# --------------------------------------------------------------------------- data


def test_folder_with_classes_corrupt_files_counted(tmp_path):
    write_pictures(tmp_path / "cats", 3)
    write_pictures(tmp_path / "dogs", 2, seed=1)
    (tmp_path / "dogs" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "dogs" / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.warns(UserWarning, match="skipped 2 of 7 image files .*broken.png"):
        data = read_image_folder(str(tmp_path), crop_size=30)
    assert data.images.shape == (5, 34, 34, 3) and data.class_names == ["cats", "dogs"]
    assert sorted(data.labels.tolist()) == [0, 0, 0, 1, 1] and not data.ink
    assert data.only_class("dogs").num_examples == 2
    with pytest.raises(DataError, match="no class 'birds' here; the classes are: cats, dogs"):
        load_dataset("folder", str(tmp_path), class_name="birds", crop_size=30)


def test_folder_pixels_are_read_as_they_are(tmp_path):
    pictures = write_pictures(tmp_path, 2)
    data = read_image_folder(str(tmp_path), crop_size=30)
    first = data.images[np.argmin([abs(img.mean() - pictures[0].mean() / 255) for img in data.images])]
    np.testing.assert_allclose(first, pictures[0] / 255.0, atol=1e-6)


@pytest.mark.parametrize(
    "setup,kwargs,message",
    [
        (lambda d: None, {}, "holds no images"),
        (lambda d: (d / "x.png").write_bytes(b"junk"), {}, "none of the 1 image files .* could be read"),
        (lambda d: (write_pictures(d, 2), write_pictures(d / "more", 1, size=(40, 36))), {}, "both images"),
        (lambda d: (write_pictures(d, 2), write_pictures(d, 1, size=(40, 36), seed=5) and
                    os.replace(d / "p0.png", d / "big.png")), {}, "different sizes .*--resize"),
        (lambda d: (write_pictures(d, 1), write_pictures(d / "g", 0), Image.fromarray(
            np.zeros((34, 34), np.uint8)).save(d / "grey.png")), {"c_dim": 3}, "1 grey images .*grey.png.*--c_dim 1"),
        (lambda d: write_pictures(d, 2, size=(20, 20)), {}, "smaller than the 30×30"),
    ],
)
def test_folder_errors_name_the_problem_and_the_fix(tmp_path, setup, kwargs, message):
    setup(tmp_path)
    with pytest.raises(DataError, match=message):
        read_image_folder(str(tmp_path), crop_size=30, **kwargs)


def test_folder_resize_and_grey(tmp_path):
    write_pictures(tmp_path, 2, size=(40, 36))
    write_pictures(tmp_path / "x", 0)
    Image.fromarray(np.full((50, 64, 3), 200, np.uint8)).save(tmp_path / "wide.png")
    data = read_image_folder(str(tmp_path), resize=32, crop_size=30, c_dim=1)
    assert data.images.shape == (3, 32, 32, 1)
    assert np.any(np.isclose(data.images.reshape(3, -1).mean(axis=1), 200 / 255, atol=0.01))


def test_cifar10_one_class_through_tfds_with_crops_and_flips():
    with tfds.testing.mock_data(num_examples=60):
        data = load_dataset("cifar10", class_name="frog", crop_size=30, seed=0)
        with pytest.raises(DataError, match="no class 'frogs'.*airplane.*frog"):
            load_dataset("cifar10", class_name="frogs", crop_size=30)
    frog = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"].index("frog")
    assert data.num_examples > 0 and set(data.labels.tolist()) == {frog}
    assert data.images.shape[1:] == (32, 32, 3) and data.flip and not data.ink
    batch = data.next_batch(data.num_examples)
    assert batch.shape == (data.num_examples, 30, 30, 3)
    first = next(iter(data.tf_dataset(data.num_examples, seed=1)))
    assert first.shape == (data.num_examples, 30, 30, 3)


# --------------------------------------------------------------------------- networks and losses


def test_frog_generator_alternates_tanh_and_relu_and_may_drop_the_radius():
    g = Generator(z_dim=4, c_dim=3, net_size=8, depth=8, architecture="frog", use_radius=False)
    activations = [layer.activation.__name__ for layer in g.hidden.layers]
    assert activations == ["tanh", "relu"] * 7
    assert g.xyr_input.kernel.shape == (2, 8)
    z = np.ones((1, 4), np.float32)
    coords = np.array([[0.5, 0.5, 0.7], [0.5, 0.5, 9.0]], np.float32)
    out = g.draw(z, coords, np.float32(1.0)).numpy()
    np.testing.assert_allclose(out[0, 0], out[0, 1])  # r ignored


def test_resnet_blocks_start_near_the_identity():
    """Each block's last layer has weights N(0, 0.001²): H barely changes through 24 blocks at first."""
    g = ResidualCPPNVAE().generator
    block = g.hidden.layers[0].layer.layers
    assert [layer.activation.__name__ for layer in block] == ["relu"] * 4 + ["tanh"]
    assert 0.5 < float(np.std(block[0].kernel.numpy())) < 2.0
    assert float(np.std(block[-1].kernel.numpy())) < 0.01


def test_l2_loss_and_gradient_penalty_values():
    x = tf.zeros((1, 2, 2, 1))
    assert float(l2_reconstruction_loss(x, tf.fill((1, 2, 2, 1), 0.5))[0]) == pytest.approx(4 * 2 * 0.25)
    # A linear critic has gradient w everywhere: penalty (‖w‖ − 1)².
    critic = tf.keras.Sequential([tf.keras.Input((2, 2, 1)), tf.keras.layers.Flatten(),
                                  tf.keras.layers.Dense(1, kernel_initializer="ones")])
    import keras

    penalty = gradient_penalty(critic, x, tf.ones((1, 2, 2, 1)), keras.random.SeedGenerator(0))
    assert float(penalty) == pytest.approx((2.0 - 1.0) ** 2, rel=1e-4)


# --------------------------------------------------------------------------- training rules


def test_resnet_rule_follows_the_accuracy_gates():
    images, labels = digit_like(8)
    x = images[:, 1:27, 1:27, None] / 255.0
    small = dict(batch_size=8, net_depth_g=2, net_size_q=16, df_dim=4, seed=0)
    # Never stop G early; D's whole-loss branch always open, never stopped: 3 G + 2 D steps.
    model = ResidualCPPNVAE(**small, n_handicap=3, g_stop_accuracy=2.0, d_fake_low=2.0, g_gate_accuracy=-1.0,
                            d_fake_stop=2.0, n_d_steps=2)
    assert model.partial_train(x, labels)[3] == 5
    assert int(model.d_optimizer.iterations) == 2 and int(model.d_real_optimizer.iterations) == 0
    # Whole-loss branch shut, real branch open: the real-only optimizer steps instead.
    model = ResidualCPPNVAE(**small, n_handicap=1, d_fake_low=-1.0, d_real_low=2.0, d_real_stop=2.0, n_d_steps=3)
    assert model.partial_train(x, labels)[3] == 4
    assert int(model.d_real_optimizer.iterations) == 3 and int(model.d_optimizer.iterations) == 0
    assert {m.name for m in model.metrics} >= {"g_accuracy", "d_real_accuracy", "d_fake_accuracy"}
    with pytest.raises(ValueError, match="one label in 0..9 per image"):
        model.partial_train(x, labels[:3])


def test_wgan_takes_n_critic_batches_per_generator_step():
    model = CPPNWGANGP(batch_size=4, z_dim=8, net_size_g=8, critic_dim=4, n_critic=3, seed=0)
    x = np.random.default_rng(0).random((12, 28, 28, 1)).astype(np.float32)
    d_loss, g_loss, wasserstein, penalty = model.partial_train(x)
    assert int(model.d_optimizer.iterations) == 3 and int(model.g_optimizer.iterations) == 1
    assert np.isfinite([d_loss, g_loss, wasserstein, penalty]).all() and penalty >= 0
    with pytest.raises(ValueError, match="n_critic × k images"):
        model.partial_train(x[:5])


# --------------------------------------------------------------------------- train.py and the Sampler, end to end


def test_cifar10_frog_trains_in_colour_and_saves_colours_uninverted(tmp_path):
    run = tmp_path / "frogs"
    with tfds.testing.mock_data(num_examples=60):
        assert main(["--dataset", "cifar10", "--class", "frog", "--save_dir", str(run), "--batch_size", "2",
                     "--n_vae_steps", "1", "--n_handicap", "1", "--net_depth_g", "2", "--learning_rate", "0.0005",
                     "--learning_rate_vae", "0.0001", *QUICK]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["system"] == "cppnvae" and config["data"]["ink"] is False and config["data"]["class"] == "frog"
    assert {k: config["model"][k] for k in ("c_dim", "x_dim", "architecture", "reconstruction")} == dict(
        c_dim=3, x_dim=30, architecture="frog", reconstruction="l2")
    sampler = Sampler(model_dir=str(run), seed=0)
    image = sampler.generate(x_dim=64, y_dim=48)
    assert image.shape == (48, 64, 3)
    sampler.save_png(image, str(tmp_path / "frog.png"))
    saved = np.asarray(Image.open(tmp_path / "frog.png"))
    np.testing.assert_array_equal(saved, (image * 255).astype(np.uint8))


def test_resnet_trains_on_digits_and_encodes(idx_dir, tmp_path):
    run = tmp_path / "resnet"
    assert main(["--model", "resnet", "--data-dir", idx_dir, "--save_dir", str(run), "--batch_size", "20",
                 "--n_handicap", "2", "--n_d_steps", "2", "--net_depth_g", "3", *QUICK]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["system"] == "resnet" and config["model"]["n_classes"] == 10
    sampler = Sampler(model_dir=str(run), seed=0)
    assert type(sampler.model).__name__ == "ResidualCPPNVAE"
    z = sampler.encode(digit_like(1)[0][0, 1:27, 1:27] / 255.0)
    assert sampler.generate(z, 100, 100).shape == (100, 100, 1)


def test_wgan_trains_on_a_picture_folder_and_refuses_encode(tmp_path):
    write_pictures(tmp_path / "pictures", 12, size=(30, 30), colour=False)
    run = tmp_path / "wgan"
    assert main(["--model", "wgan-gp", "--dataset", "folder", "--data-dir", str(tmp_path / "pictures"),
                 "--save_dir", str(run), "--batch_size", "2", "--z_dim", "8", "--net_size_g", "16", *QUICK]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["system"] == "wgan-gp" and config["model"]["x_dim"] == 28 and config["data"]["ink"] is False
    sampler = Sampler(model_dir=str(run), seed=0)
    assert sampler.generate(x_dim=200, y_dim=100).shape == (100, 200, 1)
    with pytest.raises(RuntimeError, match="this wgan-gp model has none"):
        sampler.encode(np.zeros((28, 28)))
    assert main(["--model", "wgan-gp", "--dataset", "folder", "--data-dir", str(tmp_path / "pictures"),
                 "--save_dir", str(run), "--training_epochs", "2", "--no-tensorboard"]) == 0
    assert os.path.exists(str(run / "model.ckpt-2") + ".index")  # resumed with the stored settings, no flags repeated
