"""Image data for the vision application.

Three sources give the same `ImageData` (unbatched `tf.data` splits of float images in [0, 1]
and int32 labels): the embedded sample (`load_sample`), TensorFlow Datasets (`load_tfds`) and a
folder of class subfolders (`load_folder`); `load_images` picks one from a parsed data source,
`make_batches` batches a split for `fit`, and `load_image_files` reads files for `predict`.

`digits_splits` is the embedded sample: scikit-learn's bundled copy of the UCI handwritten digits
(1,797 real 8x8 greyscale images, 10 classes; Alpaydin and Kaynak 1998, CC BY 4.0). The split is
fixed by its seed, so that a checkpoint's card and the test that re-measures it use the same
held-out images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

DIGITS_LICENCE = "CC BY 4.0 (UCI ML Repository, Alpaydin and Kaynak 1998), bundled with scikit-learn"


@dataclass(frozen=True)
class Splits:
    """Train, validation and test arrays; labels are 0..len(class_names)-1."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def digits_splits(*, classes: tuple[int, ...] | None = None, seed: int = 0, test_size: float = 0.2,
                  val_size: float = 0.2) -> Splits:
    """The digits as `(n, 8, 8, 1)` float32 in [0, 1], split stratified into train/val/test.

    Args:
        classes: keep only these digits, relabelled 0..len(classes)-1 in the order given
            (e.g. `(5, 6, 7, 8, 9)`); all ten by default.
        seed: fixes the split. The shipped checkpoints' metrics use seed 0.
        test_size: fraction of all images held out for testing.
        val_size: fraction of the remaining images held out for validation.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # pixel values 0..16 -> 0..1
    y = digits.target.astype("int32")
    # Split all ten digits first, then filter: the test images of digit 7 are the same whichever
    # subset of classes is asked for, so no subset ever trains on another's test images.
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_size, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_size, stratify=y_rest, random_state=seed
    )
    classes = tuple(range(10)) if classes is None else tuple(classes)
    if not classes or not set(classes) <= set(range(10)) or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct digits 0-9. Received: classes={classes!r}")
    relabel = np.full(10, -1, dtype="int32")
    relabel[list(classes)] = np.arange(len(classes), dtype="int32")

    def keep(xs, ys):
        mask = np.isin(ys, classes)
        return xs[mask], relabel[ys[mask]]

    return Splits(
        *keep(x_train, y_train), *keep(x_val, y_val), *keep(x_test, y_test),
        class_names=tuple(str(c) for c in classes),
    )


# ---------------------------------------------------------------------------------------------
# Image sources as tf.data: the sample, TensorFlow Datasets, a folder of class subfolders

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
DEFAULT_IMAGE_SIZE = (64, 64)  # (height, width) for folders, and TFDS sets whose images vary in size
MIN_PER_SPLIT = 2  # images of each class that each split carved from a folder must hold


@dataclass(frozen=True)
class ImageData:
    """Train, validation and test splits of an image-classification source, as tf.data.

    Each split is an unbatched `tf.data.Dataset` of `(image, label)`: `image` float32 in [0, 1]
    of shape `image_shape`, `label` int32 in `0..len(class_names)-1`. Batch them with
    `make_batches`.
    """

    train: Any  # tf.data.Dataset
    val: Any
    test: Any
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]
    counts: dict  # {"train": n, "val": n, "test": n}
    skipped: list[str] = field(default_factory=list)  # files that could not be read (folder sources)
    source: str = ""  # the data source as the user wrote it


def load_sample(*, seed: int = 0) -> ImageData:
    """The embedded digits (8x8x1), split exactly as `digits_splits(seed=seed)`."""
    import tensorflow as tf

    data = digits_splits(seed=seed)

    def dataset(x, y):
        return tf.data.Dataset.from_tensor_slices((x.astype("float32"), y.astype("int32")))

    return ImageData(
        train=dataset(data.x_train, data.y_train),
        val=dataset(data.x_val, data.y_val),
        test=dataset(data.x_test, data.y_test),
        class_names=data.class_names,
        image_shape=tuple(data.x_train.shape[1:]),
        counts={"train": len(data.y_train), "val": len(data.y_val), "test": len(data.y_test)},
        skipped=[],
        source="sample",
    )


def load_tfds(name: str, *, image_size=None, seed: int = 0, val_fraction: float = 0.2,
              max_examples: int | None = None, data_dir=None) -> ImageData:
    """An image-classification set from TensorFlow Datasets (`tfds:mnist`, `tfds:cifar10`, ...).

    The set's `train` split gives train and validation (`val_fraction` of it, drawn with `seed`);
    its `test` split (or `validation` when it has no `test`) is the test split. A set with
    neither has its test split carved from `train` too, the same fraction as validation.

    Args:
        name: a TFDS name, optionally `NAME/CONFIG` and a version (`"mnist"`, `"cifar10:3.*.*"`).
        image_size: `(height, width)` to resize to; the set's own size when None (and
            `DEFAULT_IMAGE_SIZE` for sets whose images vary in size).
        seed: fixes which training examples go to validation.
        val_fraction: fraction of the training split held out for validation, in [0, 1).
        max_examples: read at most this many examples of each TFDS split (for quick runs).
        data_dir: where TFDS keeps its data; its default (`~/tensorflow_datasets`) when None.

    Raises:
        ValueError: an unknown name (with close names), or a set that is not image classification.

    Example:
        >>> data = load_tfds("mnist", max_examples=1000)
        >>> data.image_shape, data.class_names[:3]
        ((28, 28, 1), ('0', '1', '2'))
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    _check_fraction("val_fraction", val_fraction)
    if max_examples is not None and (isinstance(max_examples, bool) or not isinstance(max_examples, int)
                                     or max_examples < 1):
        raise ValueError(f"max_examples must be a positive int or None. Received: max_examples={max_examples!r}")
    image_size = _check_image_size(image_size, allow_none=True)

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        import difflib

        close = difflib.get_close_matches(name.split("/")[0].split(":")[0], tfds.list_builders(), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(
            f"TensorFlow Datasets has no data set named {name!r}.{hint} "
            f"The catalogue: https://www.tensorflow.org/datasets/catalog/overview. Received: source='tfds:{name}'"
        ) from None

    features = builder.info.features
    image_feature = features["image"] if "image" in features else None
    label_feature = features["label"] if "label" in features else None
    if not isinstance(image_feature, tfds.features.Image) or not isinstance(label_feature, tfds.features.ClassLabel):
        kinds = ", ".join(f"{key}: {type(value).__name__}" for key, value in features.items())
        raise ValueError(
            f"tfds:{name} is not an image-classification set: it has features {{{kinds}}}; the vision "
            f"application needs an 'image' (Image) and a 'label' (ClassLabel). Received: source='tfds:{name}'"
        )

    height, width, channels = image_feature.shape
    if channels is None:
        raise ValueError(f"tfds:{name} has images with a varying number of channels. Received: source='tfds:{name}'")
    if image_size is None and (height is None or width is None):
        image_size = DEFAULT_IMAGE_SIZE  # the images vary in size: one size is needed to batch them
    image_shape = (*(image_size or (height, width)), channels)
    scale = {np.dtype("uint8"): 255.0, np.dtype("uint16"): 65535.0}.get(np.dtype(image_feature.np_dtype), 1.0)

    try:
        builder.download_and_prepare()
    except Exception as error:  # no network, no disk space, a manual download needed, ...
        raise RuntimeError(
            f"Could not download and prepare tfds:{name} into {builder.data_dir}: {error}"
        ) from error

    available = set(builder.info.splits.keys()) or {"train", "test"}  # empty under tfds.testing.mock_data
    if "train" not in available:
        raise ValueError(
            f"tfds:{name} has no 'train' split; its splits are {sorted(available)}. Received: source='tfds:{name}'"
        )
    test_split = "test" if "test" in available else "validation" if "validation" in available else None

    def read(split):
        ds = builder.as_dataset(split=split, shuffle_files=False)
        return ds.take(max_examples) if max_examples is not None else ds

    def to_pair(example):
        image = tf.cast(example["image"], tf.float32) / scale
        if image_size is not None:
            image = tf.image.resize(image, image_size, antialias=True)
        image = tf.ensure_shape(tf.clip_by_value(image, 0.0, 1.0), image_shape)
        return image, tf.cast(example["label"], tf.int32)

    train = read("train")
    n_train = _num_examples(builder, "train", train, max_examples)
    test_fraction = 0.0 if test_split else val_fraction
    part = _random_parts(n_train, (val_fraction, test_fraction), seed=seed)  # 0 train, 1 val, 2 test
    part = tf.constant(part, dtype=tf.int8)

    def subset(index):
        return train.enumerate().filter(lambda i, _: part[i] == index).map(lambda _, example: example)

    if test_split:
        test = read(test_split)
        n_test = _num_examples(builder, test_split, test, max_examples)
    else:
        test = subset(2)
        n_test = int(np.sum(part.numpy() == 2))
    counts = {"train": int(np.sum(part.numpy() == 0)), "val": int(np.sum(part.numpy() == 1)), "test": n_test}

    def finish(ds, n):  # a known size lets fit show progress and shuffle fully
        ds = ds.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.apply(tf.data.experimental.assert_cardinality(n))

    return ImageData(
        train=finish(subset(0), counts["train"]),
        val=finish(subset(1), counts["val"]),
        test=finish(test, counts["test"]),
        class_names=tuple(label_feature.names),
        image_shape=tuple(int(d) for d in image_shape),
        counts=counts,
        skipped=[],
        source=f"tfds:{name}",
    )


def load_folder(path, *, image_size=DEFAULT_IMAGE_SIZE, seed: int = 0, val_fraction: float = 0.15,
                test_fraction: float = 0.15, test_path=None) -> ImageData:
    """Images in class subfolders (`path/<class>/<image>`), as `keras.utils.image_dataset_from_directory`.

    Every file with an image extension (.png .jpg .jpeg .bmp .gif, any case; class folders are
    searched recursively, hidden files and folders ignored) is decoded once: a file that cannot
    be decoded is skipped and listed in `skipped`. The images are resized to `image_size` and
    held in memory. They keep three channels, or one when every image is greyscale. The split is
    stratified: each class gives `val_fraction` of its images to validation and `test_fraction`
    to test (at least `MIN_PER_SPLIT` each), drawn with `seed`. With `test_path`, a folder with
    the same class subfolders, that folder is the test split and nothing is carved for it.

    Args:
        path: the folder of class subfolders; class names are the subfolder names, sorted.
        image_size: `(height, width)` every image is resized to (an int for a square).
        seed: fixes the split.
        val_fraction: fraction of each class held out for validation, in [0, 1).
        test_fraction: fraction of each class held out for testing (ignored with `test_path`).
        test_path: a folder with the same class subfolders, used as the test split.

    Raises:
        ValueError: a missing or empty folder, a single class, too few images of a class for
            the split, or a test folder whose classes differ.

    Example:
        >>> data = load_folder("flowers/", image_size=(96, 96))
        >>> data.class_names, data.counts, data.skipped
    """
    import tensorflow as tf

    image_size = _check_image_size(image_size)
    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    if test_path is None and val_fraction + test_fraction >= 1:
        raise ValueError(
            "val_fraction + test_fraction must be below 1, to leave images for training. "
            f"Received: val_fraction={val_fraction}, test_fraction={test_fraction}"
        )
    root = Path(path)
    files = _scan_folder(root)
    class_names = tuple(files)
    if len(class_names) < 2:
        raise ValueError(
            f"Image folder {str(root)!r} needs at least two classes (subfolders), found only {class_names[0]!r}. "
            f"Received: path={str(path)!r}"
        )
    test_files = None
    if test_path is not None:
        test_files = _scan_folder(Path(test_path))
        if tuple(test_files) != class_names:
            missing = sorted(set(class_names) - set(test_files))
            extra = sorted(set(test_files) - set(class_names))
            raise ValueError(
                f"The test folder {str(test_path)!r} must have the same class subfolders as {str(root)!r}: "
                f"it lacks {missing} and has {extra} in addition. Received: test_path={str(test_path)!r}"
            )

    skipped: list[str] = []
    images, labels = _read_classes(files, image_size, skipped)
    if test_files is not None:
        test_images, test_labels = _read_classes(test_files, image_size, skipped)

    # ## The stratified split
    fractions = (val_fraction, 0.0 if test_files is not None else test_fraction)
    parts = np.zeros(len(labels), dtype="int8")  # 0 train, 1 val, 2 test
    rng = np.random.default_rng(seed)
    splits = 1 + sum(f > 0 for f in fractions)
    for label, name in enumerate(class_names):
        members = np.flatnonzero(labels == label)
        n = len(members)
        sizes = [max(MIN_PER_SPLIT, round(n * f)) if f > 0 else 0 for f in fractions]
        if n - sum(sizes) < MIN_PER_SPLIT:
            what = "/".join(["train"] + [s for s, f in zip(("val", "test"), fractions) if f > 0])
            raise ValueError(
                f"Class {name!r} in {str(root)!r} has {n} readable images; a {what} split needs at least "
                f"{MIN_PER_SPLIT * splits} per class ({MIN_PER_SPLIT} per split) with these fractions. Add images, "
                f"or lower the fractions. Received: val_fraction={val_fraction}, test_fraction={fractions[1]}"
            )
        shuffled = rng.permutation(members)
        parts[shuffled[: sizes[0]]] = 1
        parts[shuffled[sizes[0]: sizes[0] + sizes[1]]] = 2

    if test_files is not None:
        if not len(test_labels):
            raise ValueError(
                f"The test folder {str(test_path)!r} has no readable images. Received: test_path={str(test_path)!r}"
            )
        test_pair = (test_images, test_labels)
    else:
        test_pair = (images[parts == 2], labels[parts == 2])
    all_grey = all(_is_grey(x) for x in (images, *([test_pair[0]] if test_files is not None else [])))
    channels = 1 if all_grey else 3

    def dataset(x, y):
        x = x[..., :channels]
        return tf.data.Dataset.from_tensor_slices((x, y)).map(
            lambda image, label: (tf.cast(image, tf.float32) / 255.0, label), num_parallel_calls=tf.data.AUTOTUNE
        )

    return ImageData(
        train=dataset(images[parts == 0], labels[parts == 0]),
        val=dataset(images[parts == 1], labels[parts == 1]),
        test=dataset(*test_pair),
        class_names=class_names,
        image_shape=(*image_size, channels),
        counts={"train": int(np.sum(parts == 0)), "val": int(np.sum(parts == 1)), "test": len(test_pair[1])},
        skipped=skipped,
        source=str(path),
    )


def load_images(kind: str, *, name=None, path=None, text: str = "", image_size=None, seed: int = 0,
                test=None, max_examples: int | None = None) -> ImageData:
    """The image data a parsed data source names (`applications.common.sources.Source`'s fields).

    Args:
        kind: `"sample"`, `"tfds"` or `"folder"` (`"csv"` is not an image source).
        name: the TFDS name, for `kind="tfds"`.
        path: the folder, for `kind="folder"`.
        text: the source as the user wrote it, recorded in `ImageData.source`.
        image_size: `(height, width)` to resize to; when None, the data's own size (8x8 for the
            sample), or `DEFAULT_IMAGE_SIZE` for a folder.
        seed: fixes the split.
        test: a folder of the same classes to test on (a path, or a parsed source of kind
            "folder"); only with a folder source.
        max_examples: at most this many examples in each split (for quick runs); for TFDS, of
            each split read from TFDS.

    Example:
        >>> data = load_images("tfds", name="mnist", text="tfds:mnist")
    """
    test_path = None
    if test is not None:
        test_kind = getattr(test, "kind", "folder")
        test_path = getattr(test, "path", test)
        if test_kind != "folder" or test_path is None:
            raise ValueError(
                "Test data for images must be a folder of class subfolders. "
                f"Received: test={getattr(test, 'text', test)!r}"
            )
        if kind != "folder":
            raise ValueError(
                f"A separate test folder goes with a folder source; {kind!r} sources bring their own test split. "
                f"Received: source={text or kind!r}, test={str(test_path)!r}"
            )
    if kind == "sample":
        data = load_sample(seed=seed)
        if image_size is not None:
            data = _resized(data, _check_image_size(image_size))
    elif kind == "tfds":
        if not name:
            raise ValueError(f"A TFDS source needs a name, as in 'tfds:mnist'. Received: source={text!r}")
        return replace(load_tfds(name, image_size=image_size, seed=seed, max_examples=max_examples),
                       source=text or f"tfds:{name}")
    elif kind == "folder":
        if path is None:
            raise ValueError(f"A folder source needs a path. Received: source={text!r}")
        data = load_folder(path, image_size=image_size or DEFAULT_IMAGE_SIZE, seed=seed, test_path=test_path)
    elif kind == "csv":
        raise ValueError(
            "A CSV file is not an image source: the vision application takes 'sample', 'tfds:NAME' or a folder "
            f"of class subfolders of images. Received: source={text or str(path)!r}"
        )
    else:
        raise ValueError(f"kind must be 'sample', 'tfds' or 'folder'. Received: kind={kind!r}")
    if max_examples is not None:
        data = _capped(data, max_examples)
    return replace(data, source=text) if text else data


def make_batches(ds, batch_size: int, *, training: bool, seed: int = 0):
    """Cache, shuffle (training only: seeded, a new order each epoch), batch and prefetch.

    Example:
        >>> train = make_batches(data.train, 32, training=True, seed=0)
        >>> model.fit(train, validation_data=make_batches(data.val, 32, training=False), epochs=10)
    """
    import tensorflow as tf

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int. Received: batch_size={batch_size!r}")
    ds = ds.cache()
    if training:
        n = int(ds.cardinality())
        buffer = n if 0 < n <= 50_000 else 10_000  # a full shuffle when the size is known and moderate
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_image_files(paths, image_shape) -> np.ndarray:
    """Image files as a `(n, *image_shape)` float32 array in [0, 1], ready for `model.predict`.

    Any PNG, JPEG, BMP or GIF (its first frame) is converted to the channels of `image_shape`
    (colour to grey by luma, grey to RGB by copying) and resized (bilinear, antialiased) as
    `load_folder` does.

    Raises:
        ValueError: naming the first file that cannot be read.

    Example:
        >>> x = load_image_files(["cat.jpg", "dog.png"], model.input_shape[1:])
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    height, width, channels = (int(d) for d in image_shape)
    if channels not in (1, 3):
        raise ValueError(f"image_shape must have 1 or 3 channels. Received: image_shape={tuple(image_shape)!r}")
    out = np.empty((len(paths), height, width, channels), dtype="float32")
    for i, file in enumerate(paths):
        try:
            rgb = _decode(file, (height, width))
        except Exception as error:
            raise ValueError(f"Could not read image file {str(file)!r}: {error}") from None
        out[i] = _to_channels(rgb, channels) / 255.0
    return out


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_fraction(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1). Received: {name}={value!r}")


def _check_image_size(image_size, *, allow_none: bool = False):
    if image_size is None and allow_none:
        return None
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    try:
        size = tuple(image_size)
        ok = len(size) == 2 and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"image_size must be (height, width), two positive ints. Received: image_size={image_size!r}")
    return size


def _resized(data: ImageData, image_size) -> ImageData:
    import tensorflow as tf

    def resize(image, label):
        return tf.clip_by_value(tf.image.resize(image, image_size, antialias=True), 0.0, 1.0), label

    splits = {s: getattr(data, s).map(resize, num_parallel_calls=tf.data.AUTOTUNE) for s in ("train", "val", "test")}
    return replace(data, **splits, image_shape=(*image_size, data.image_shape[-1]))


def _capped(data: ImageData, max_examples: int) -> ImageData:
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"max_examples must be a positive int or None. Received: max_examples={max_examples!r}")
    splits = {s: getattr(data, s).take(max_examples) for s in ("train", "val", "test")}
    return replace(data, **splits, counts={s: min(n, max_examples) for s, n in data.counts.items()})


def _num_examples(builder, split: str, ds, cap) -> int:
    info = builder.info.splits
    n = info[split].num_examples if split in info else int(ds.reduce(0, lambda count, _: count + 1))
    return min(n, cap) if cap is not None else n


def _random_parts(n: int, fractions, *, seed: int) -> np.ndarray:
    """0 (train), 1, 2, ... for n examples: a seeded random `fractions[k]` of them get k + 1."""
    parts = np.zeros(n, dtype="int8")
    order = np.random.default_rng(seed).permutation(n)
    start = 0
    for k, fraction in enumerate(fractions, start=1):
        size = round(n * fraction)
        parts[order[start: start + size]] = k
        start += size
    return parts


def _scan_folder(root: Path) -> dict[str, list[Path]]:
    """`{class name: sorted image files}` for the class subfolders of `root` that hold images."""
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise ValueError(f"Image folder {str(root)!r} {what}. Received: path={str(root)!r}")

    def visible(p: Path) -> bool:
        return not any(part.startswith(".") for part in p.relative_to(root).parts)

    def is_image(p: Path) -> bool:
        return p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and visible(p)

    files = {
        d.name: sorted(p for p in d.rglob("*") if is_image(p))
        for d in sorted(root.iterdir())
        if d.is_dir() and visible(d)
    }
    files = {name: paths for name, paths in files.items() if paths}
    if not any(visible(p) for p in root.iterdir()):
        raise ValueError(
            f"Image folder {str(root)!r} is empty: expected {str(root)}/<class name>/<image>, one subfolder "
            f"per class. Received: path={str(root)!r}"
        )
    if not files:
        loose = sum(1 for p in root.iterdir() if is_image(p))
        hint = f" It has {loose} images directly inside: put each class's images in its own subfolder." if loose else ""
        raise ValueError(
            f"Image folder {str(root)!r} has no class subfolders with images: expected "
            f"{str(root)}/<class name>/<image>, images ending in {' '.join(IMAGE_EXTENSIONS)}.{hint} "
            f"Received: path={str(root)!r}"
        )
    return files


def _read_classes(files: dict[str, list[Path]], image_size, skipped: list[str]):
    """Decode every file once (RGB uint8 at image_size); unreadable ones go to `skipped`."""
    from concurrent.futures import ThreadPoolExecutor

    def read(file):
        try:
            return _decode(file, image_size)
        except Exception:  # not an image, truncated, unsupported: skipped, with the others reported
            return None

    flat = [(label, file) for label, paths in enumerate(files.values()) for file in paths]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        decoded = list(pool.map(read, [file for _, file in flat]))
    images, labels = [], []
    for (label, file), image in zip(flat, decoded):
        if image is None:
            skipped.append(str(file))
        else:
            images.append(image)
            labels.append(label)
    images = np.stack(images) if images else np.zeros((0, *image_size, 3), dtype="uint8")
    return images, np.asarray(labels, dtype="int32")


def _decode(file, image_size) -> np.ndarray:
    """An image file as RGB uint8 `(height, width, 3)`, resized (bilinear, antialiased)."""
    from PIL import Image, ImageOps

    with Image.open(file) as image:
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grey: scale to 8 bits
            array = np.asarray(image, dtype="float64")
            top = 65535.0 if array.max() > 255 else 255.0
            image = Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype("uint8"), mode="L")
        image = image.convert("RGB").resize((image_size[1], image_size[0]), Image.BILINEAR)
        return np.asarray(image, dtype="uint8")


def _is_grey(rgb: np.ndarray) -> bool:
    """True when every pixel of these RGB image(s) has R == G == B."""
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]))


def _to_channels(rgb: np.ndarray, channels: int) -> np.ndarray:
    if channels == 3:
        return rgb.astype("float32")
    # ITU-R 601 luma, as PIL's convert("L") and tf.image.rgb_to_grayscale (grey stays exactly grey)
    return (rgb.astype("float32") @ np.array([0.299, 0.587, 0.114], dtype="float32"))[..., None].round()
