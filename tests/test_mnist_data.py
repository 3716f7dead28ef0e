"""mnist_data: IDX files good and bad, the DataSet API, the resumable tf.data pipeline."""

import gzip
import os

import numpy as np
import pytest

from conftest import SHARED_MNIST, digit_like, write_idx, write_split
from mnist_data import DataError, DataSet, read_data_sets, read_idx


def test_reads_an_upstream_idx_folder(idx_dir):
    images, labels = digit_like(60)
    data = read_data_sets(idx_dir)
    assert data.num_examples == 60 and data.images.shape == (60, 28, 28, 1)
    assert data.images.dtype == np.float32 and data.images.min() == 0.0 and data.images.max() == 1.0
    # shuffled, but each image keeps its label
    order = [int(np.argmax([np.array_equal(im[..., 0], ref / 255.0) for ref in images])) for im in data.images]
    assert sorted(order) == list(range(60))
    np.testing.assert_array_equal(data.labels, labels[order])

def test_reads_plain_uncompressed_idx(tmp_path):
    images, labels = digit_like(5)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images, 2051)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels, 2049)
    assert read_data_sets(str(tmp_path), split="t10k").num_examples == 5

@pytest.mark.skipif(not os.path.isdir(SHARED_MNIST), reason="../shared/mnist is not beside the checkout")
def test_reads_the_real_mnist_splits():
    t10k = read_data_sets(SHARED_MNIST, split="t10k")
    assert t10k.num_examples == 10000 and np.bincount(t10k.labels).min() > 850
    held_out = read_data_sets(SHARED_MNIST, split="train5k")
    assert held_out.num_examples == 5000 and list(np.bincount(held_out.labels)) == [500] * 10

def test_wrong_magic_names_the_file(tmp_path):
    path = tmp_path / "x.gz"
    write_idx(path, np.zeros((2, 28, 28)), 2049)
    with pytest.raises(DataError, match=r"x.gz: magic number 2049, expected 2051"):
        read_idx(str(path), 2051)

def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((50, 28, 28)), 2051)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: the gzip data is truncated"):
        read_idx(str(path), 2051)

def test_truncated_data_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((3, 28, 28)), 2051)
    raw = gzip.decompress(path.read_bytes())[:-100]
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(DataError, match=r"expected 2368 for 3 × 28 × 28 values; the file is truncated"):
        read_idx(str(path), 2051)
    path.write_bytes(gzip.compress(b"\x00\x00"))
    with pytest.raises(DataError, match="too short for an IDX header"):
        read_idx(str(path), 2051)

def test_images_must_be_28x28(tmp_path):
    write_split(tmp_path, "train", np.zeros((4, 32, 32)), np.zeros(4))
    with pytest.raises(DataError, match=r"images are 32×32, expected 28×28"):
        read_data_sets(str(tmp_path))

def test_labels_must_match_images(tmp_path):
    write_split(tmp_path, "train", np.zeros((4, 28, 28)), np.zeros(3))
    with pytest.raises(DataError, match="3 labels for 4 images"):
        read_data_sets(str(tmp_path))

def test_missing_folder_or_split_says_what_to_do(tmp_path, idx_dir):
    with pytest.raises(DataError, match="does not exist; pass --data-dir"):
        read_data_sets(str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz not found \(splits found there: train; pick one with --split\)"):
        read_data_sets(idx_dir, split="t10k")

def test_next_batch_gives_26x26_crops_and_counts_epochs():
    images = np.zeros((10, 28, 28), np.uint8)
    images[:, 13, 13] = 255  # one ink pixel at the centre
    data = DataSet(images, np.arange(10), seed=0)
    seen = []
    for _ in range(5):
        batch, labels = data.next_batch(4, with_label=True)
        assert batch.shape == (4, 26, 26, 1) and labels.shape == (4,)
        seen.append(labels)
        # the centre pixel lands at 13 - offset, offset in {0, 1, 2}
        rows, cols = np.nonzero(batch[..., 0])[1:]
        assert set(rows) <= {11, 12, 13} and set(cols) <= {11, 12, 13}
    assert data.epochs_completed == 2
    assert sorted(np.concatenate(seen[:2])) == sorted(set(np.concatenate(seen[:2])))  # no repeats in an epoch
    with pytest.raises(ValueError, match="between 1 and 10"):
        data.next_batch(11)

def test_distort_batch_uses_every_offset():
    data = DataSet(np.zeros((1, 28, 28), np.uint8), seed=1)
    batch = np.zeros((300, 28, 28, 1), np.float32)
    batch[:, 0, 0] = 1.0  # visible only when the crop starts at row 0 and column 0
    crops = data.distort_batch(batch)
    assert crops.shape == (300, 26, 26, 1)
    share = crops[:, 0, 0, 0].mean()
    assert 0.04 < share < 0.2  # 1/9 of the offsets

def test_tf_dataset_batches_crops_for_fit(idx_dir):
    data = read_data_sets(idx_dir)
    stream = iter(data.tf_dataset(25, seed=3))
    epoch_1 = np.concatenate([next(stream).numpy() for _ in range(data.batches_per_epoch(25))])
    assert epoch_1.shape == (50, 26, 26, 1)  # two whole batches; the partial third is dropped
    assert 0.0 <= epoch_1.min() and epoch_1.max() <= 1.0 and epoch_1.max() > 0
    epoch_2 = np.concatenate([next(stream).numpy() for _ in range(2)])
    assert not np.array_equal(epoch_1, epoch_2)  # reshuffled and cropped anew
    with pytest.raises(ValueError, match="between 1 and 60"):
        data.tf_dataset(61)


def test_tf_dataset_resumes_at_any_batch_with_the_same_images(idx_dir):
    """Order and crops follow from (seed, epoch) alone: a stream started at epoch 2, batch 1 is the rest of one
    started at the beginning."""
    data = read_data_sets(idx_dir)
    data.flip = True
    whole = iter(data.tf_dataset(20, seed=5, with_labels=True))
    batches = [next(whole) for _ in range(7)]
    resumed = iter(data.tf_dataset(20, seed=5, with_labels=True, first_epoch=1, skip_batches=1))
    for expected in batches[4:]:
        images, labels = next(resumed)
        np.testing.assert_array_equal(images.numpy(), expected[0].numpy())
        np.testing.assert_array_equal(labels.numpy(), expected[1].numpy())
    other_seed = next(iter(data.tf_dataset(20, seed=6)))
    assert not np.array_equal(other_seed.numpy(), batches[0][0].numpy())
