"""Image sources: the sample, TFDS (mocked: no network), folders of PNG/JPEG, files for predict."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from keras_zoo.applications.vision.augment import (
    DIGITS_AUGMENT,
    DIGITS_AUGMENT_SMALL_NETS,
    NO_AUGMENT,
    AugmentConfig,
    augmentation_layers,
)
from keras_zoo.applications.vision.data import (
    digits_splits,
    load_folder,
    load_image_files,
    load_images,
    load_sample,
    load_tfds,
    make_batches,
)


def _labels(ds):
    return np.array([int(y) for _, y in ds.as_numpy_iterator()])


# ---------------------------------------------------------------------------------------------
# The sample


def test_sample_is_the_digits_split():
    data = load_sample(seed=0)
    splits = digits_splits(seed=0)
    assert data.image_shape == (8, 8, 1) and data.class_names == splits.class_names
    assert data.counts == {"train": len(splits.y_train), "val": len(splits.y_val), "test": len(splits.y_test)}
    np.testing.assert_array_equal(_labels(data.test), splits.y_test)
    x, y = next(iter(data.train))
    assert x.dtype.name == "float32" and y.dtype.name == "int32"
    assert load_images("sample", text="sample").source == "sample"
    bigger = load_images("sample", image_size=(16, 16), max_examples=5)
    assert bigger.image_shape == (16, 16, 1) and bigger.counts == {"train": 5, "val": 5, "test": 5}
    assert [x.shape for x, _ in bigger.test] == [(16, 16, 1)] * 5


# ---------------------------------------------------------------------------------------------
# TFDS


def test_tfds_mnist_mocked():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=20):
        data = load_tfds("mnist", seed=0, val_fraction=0.25)
        assert data.class_names == tuple(str(d) for d in range(10))
        assert data.image_shape == (28, 28, 1) and data.source == "tfds:mnist"
        assert data.counts == {"train": 15, "val": 5, "test": 20}
        x, y = next(iter(data.train))
        assert x.shape == (28, 28, 1) and x.dtype.name == "float32" and y.dtype.name == "int32"
        assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0
        assert len(list(data.val)) == 5 and int(data.val.cardinality()) == 5  # a known size, for fit

        small = load_images("tfds", name="mnist", text="tfds:mnist", image_size=(12, 12))
        assert small.image_shape == (12, 12, 1) and next(iter(small.test))[0].shape == (12, 12, 1)
        capped = load_images("tfds", name="mnist", text="tfds:mnist", max_examples=8)
        assert sum(capped.counts.values()) == 16 and capped.source == "tfds:mnist"
        with pytest.raises(ValueError, match="A separate test folder goes with a folder source"):
            load_images("tfds", name="mnist", test="some/folder")


def test_tfds_not_an_image_set_and_unknown_name():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=4):
        with pytest.raises(ValueError, match="tfds:imdb_reviews is not an image-classification set: it has features"):
            load_tfds("imdb_reviews")
    with pytest.raises(ValueError, match="no data set named 'mnistt'. Did you mean: mnist"):
        load_tfds("mnistt")


# ---------------------------------------------------------------------------------------------
# Folders


def _write(path, size=(10, 12), mode="RGB", fmt="PNG", value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    Image.fromarray(rng.integers(0, 256, shape, dtype="uint8"), mode=mode).save(path, format=fmt)


def _folder(root, classes=("cats", "dogs"), per_class=8, mode="RGB"):
    for c, name in enumerate(classes):
        for i in range(per_class):
            fmt, ext = ("JPEG", "jpg") if i % 2 else ("PNG", "png")
            _write(root / name / f"{i}.{ext}", mode=mode, fmt=fmt, value=c * 100 + i)
    return root


def test_folder_split_skips_corrupt_files(tmp_path):
    root = _folder(tmp_path / "pets", per_class=10)
    (root / "cats" / "broken.png").write_bytes(b"not a png at all")
    (root / "cats" / "notes.txt").write_text("ignored: not an image extension")
    data = load_folder(root, image_size=(16, 20), seed=0)
    assert data.class_names == ("cats", "dogs")
    assert data.image_shape == (16, 20, 3)
    assert data.skipped == [str(root / "cats" / "broken.png")]
    assert data.counts == {"train": 12, "val": 4, "test": 4}  # per class: 10 x 0.15 -> 2 (the minimum)
    for split in ("train", "val", "test"):
        labels = _labels(getattr(data, split))
        assert len(labels) == data.counts[split] and set(labels) == {0, 1}  # stratified: both classes
    x, _ = next(iter(data.train))
    assert x.shape == (16, 20, 3) and 0 <= float(np.min(x)) <= float(np.max(x)) <= 1
    again = load_images("folder", path=str(root), text=str(root), image_size=(16, 20), seed=0)
    np.testing.assert_array_equal(_labels(again.test), _labels(data.test))


def test_folder_of_grey_images_has_one_channel(tmp_path):
    data = load_folder(_folder(tmp_path / "g", per_class=6, mode="L"), image_size=(8, 8))
    assert data.image_shape == (8, 8, 1)
    assert next(iter(data.val))[0].shape == (8, 8, 1)


def test_folder_with_test_path(tmp_path):
    root = _folder(tmp_path / "train", per_class=6)
    test_root = _folder(tmp_path / "test", per_class=3)
    data = load_images("folder", path=root, image_size=(8, 8), test=test_root)
    assert data.counts["test"] == 6 and data.counts["train"] + data.counts["val"] == 12
    other = _folder(tmp_path / "other", classes=("cats", "birds"), per_class=2)
    with pytest.raises(ValueError, match=r"same class subfolders.*lacks \['dogs'\].*\['birds'\]"):
        load_folder(root, test_path=other)


def test_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="'.*empty' is empty: expected"):
        load_folder(tmp_path / "empty")
    _write(tmp_path / "loose" / "a.png")
    (tmp_path / "loose" / "notes").mkdir()
    (tmp_path / "loose" / "notes" / "readme.txt").write_text("not an image")
    with pytest.raises(ValueError, match="no class subfolders with images.*It has 1 images directly inside"):
        load_folder(tmp_path / "loose")
    with pytest.raises(ValueError, match="needs at least two classes.*found only 'cats'"):
        load_folder(_folder(tmp_path / "one", classes=("cats",)))
    with pytest.raises(ValueError, match="'dogs'.*has 3 readable images.*at least 6 per class"):
        few = _folder(tmp_path / "few", per_class=8)
        for i in range(3, 8):
            next((few / "dogs").glob(f"{i}.*")).unlink()
        load_folder(few)
    with pytest.raises(ValueError, match="CSV file is not an image source"):
        load_images("csv", path="x.csv", text="x.csv")


# ---------------------------------------------------------------------------------------------
# Batches and files


def test_make_batches_shapes_and_seeded_shuffle():
    data = load_sample(seed=0)
    first = [y for _, y in make_batches(data.train, 64, training=True, seed=3).as_numpy_iterator()]
    batches = make_batches(data.train, 64, training=True, seed=3)
    epoch1 = [y for _, y in batches.as_numpy_iterator()]
    epoch2 = [y for _, y in batches.as_numpy_iterator()]
    assert first[0].shape == (64,) and sum(len(y) for y in first) == data.counts["train"]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(epoch1))  # same seed, same order
    assert not np.array_equal(np.concatenate(epoch1), np.concatenate(epoch2))  # a new order each epoch
    x, _ = next(iter(make_batches(data.test, 50, training=False)))
    assert x.shape == (50, 8, 8, 1)
    np.testing.assert_array_equal(
        np.concatenate([y for _, y in make_batches(data.test, 50, training=False).as_numpy_iterator()]),
        _labels(data.test),
    )


def test_load_image_files(tmp_path):
    _write(tmp_path / "a.png", size=(30, 20))
    _write(tmp_path / "b.jpg", size=(5, 5), mode="L", fmt="JPEG")
    x = load_image_files([tmp_path / "a.png", str(tmp_path / "b.jpg")], (8, 8, 1))
    assert x.shape == (2, 8, 8, 1) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    assert load_image_files(tmp_path / "b.jpg", (4, 6, 3)).shape == (1, 4, 6, 3)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match="Could not read image file '.*bad.png'"):
        load_image_files([tmp_path / "a.png", tmp_path / "bad.png"], (8, 8, 3))


# ---------------------------------------------------------------------------------------------
# Augmentation


def test_augmentation_layers_per_config():
    assert augmentation_layers(NO_AUGMENT) == []
    assert [layer.name for layer in augmentation_layers(DIGITS_AUGMENT)] == ["augment_rotation", "augment_translation"]
    assert [layer.name for layer in augmentation_layers(DIGITS_AUGMENT_SMALL_NETS)] == ["augment_zoom"]  # never flipped
    every = augmentation_layers(AugmentConfig(flip="horizontal_and_vertical"), seed=1)
    kinds = [type(layer).__name__ for layer in every]
    assert kinds == ["RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation"]
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    for layer in every:
        np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)  # identity at inference
    for flip in ("none", "horizontal", "vertical"):
        assert len(augmentation_layers(AugmentConfig(flip=flip, rotation=0, zoom=0, translation=0))) == (flip != "none")
    with pytest.raises(ValueError, match="Received: flip='diagonal'"):
        AugmentConfig(flip="diagonal")
    with pytest.raises(ValueError, match="Received: zoom=-0.1"):
        AugmentConfig(zoom=-0.1)
