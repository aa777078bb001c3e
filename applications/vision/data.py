"""Image data for the vision application.

Three sources give the same `ImageData` (unbatched `tf.data` splits of float images in [0, 1]
and int32 labels): the embedded sample (`load_sample`), TensorFlow Datasets (`load_tfds`, in
`tfds_images.py`) and a folder of class subfolders (`load_folder`, in `folder_images.py`).
`load_images` picks one from a parsed data source, `make_batches` batches a split for `fit`, and
`load_image_files` reads files for `predict`.

`digits_splits` is the embedded sample: scikit-learn's bundled copy of the UCI handwritten digits
(1,797 real 8x8 greyscale images, 10 classes; Alpaydin and Kaynak 1998, CC BY 4.0). The split is
fixed by its seed, so that a checkpoint's card and the test that re-measures it use the same
held-out images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from keras_zoo.applications.common.datasets import check_max_examples
from keras_zoo.applications.common.loaders import capped, separate_test_path

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
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=val_size, stratify=y_rest,
                                                      random_state=seed)
    classes = tuple(range(10)) if classes is None else tuple(classes)
    if not classes or not set(classes) <= set(range(10)) or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct digits 0-9. Received: classes={classes!r}")
    relabel = np.full(10, -1, dtype="int32")
    relabel[list(classes)] = np.arange(len(classes), dtype="int32")

    def keep(xs, ys):
        mask = np.isin(ys, classes)
        return xs[mask], relabel[ys[mask]]

    return Splits(*keep(x_train, y_train), *keep(x_val, y_val), *keep(x_test, y_test),
                  class_names=tuple(str(c) for c in classes))


# ---------------------------------------------------------------------------------------------
# Image sources as tf.data: the sample, TensorFlow Datasets, a folder of class subfolders

DEFAULT_IMAGE_SIZE = (64, 64)  # (height, width) for TFDS sets whose images vary in size
# A folder's images are read at a size taken from the images themselves (`folder_images.size_of`):
# the median height and width, scaled down so that the longer side is at most MAX_SIDE (keeping
# the aspect ratio), each side rounded to a multiple of SIDE_MULTIPLE.
MAX_SIDE = 128
SIDE_MULTIPLE = 8


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
    size_rule: str = ""  # how the image size was chosen, when the data chose it (a folder's median)


def load_sample(*, seed: int = 0) -> ImageData:
    """The embedded digits (8x8x1), split exactly as `digits_splits(seed=seed)`."""
    import tensorflow as tf

    data = digits_splits(seed=seed)

    def dataset(x, y):
        return tf.data.Dataset.from_tensor_slices((x.astype("float32"), y.astype("int32")))

    return ImageData(train=dataset(data.x_train, data.y_train), val=dataset(data.x_val, data.y_val),
                     test=dataset(data.x_test, data.y_test), class_names=data.class_names,
                     image_shape=tuple(data.x_train.shape[1:]), source="sample",
                     counts={"train": len(data.y_train), "val": len(data.y_val), "test": len(data.y_test)})


def load_images(kind: str, *, name=None, path=None, text: str = "", image_size=None, seed: int = 0,
                test=None, max_examples: int | None = None) -> ImageData:
    """The image data a parsed data source names (`applications.common.sources.Source`'s fields).

    Args:
        kind: `"sample"`, `"tfds"` or `"folder"` (`"csv"` is not an image source).
        name: the TFDS name, for `kind="tfds"`.
        path: the folder, for `kind="folder"`.
        text: the source as the user wrote it, recorded in `ImageData.source`.
        image_size: `(height, width)` to resize to; when None, the data's own size: 8x8 for the
            sample, a folder's median size (`MAX_SIDE` at most; `folder_images.size_of`).
        seed: fixes the split.
        test: a folder of the same classes to test on (a path, or a parsed source of kind
            "folder"); only with a folder source.
        max_examples: at most this many examples in each split (for quick runs); for TFDS, of
            each split read from TFDS.

    Example:
        >>> data = load_images("tfds", name="mnist", text="tfds:mnist")
    """
    test_path = separate_test_path(test, kind=kind, text=text, test_is="images must be a folder of class subfolders",
                                   goes_with="A separate test folder goes with a folder source")
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
        data = load_folder(path, image_size=image_size, seed=seed, test_path=test_path)
    elif kind == "csv":
        raise ValueError("A CSV file is not an image source: the vision application takes 'sample', 'tfds:NAME' or "
                         f"a folder of class subfolders of images. Received: source={text or str(path)!r}")
    else:
        raise ValueError(f"kind must be 'sample', 'tfds' or 'folder'. Received: kind={kind!r}")
    if max_examples is not None:
        check_max_examples(max_examples)
        data = capped(data, max_examples)
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


def _check_image_size(image_size):
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


# The loaders of the two external sources live in their own modules; they are re-exported here so
# that `applications.vision.data` stays the one place to import image data from.
from keras_zoo.applications.vision.folder_images import load_folder, size_of  # noqa: E402, F401
from keras_zoo.applications.vision.tfds_images import load_tfds  # noqa: E402
