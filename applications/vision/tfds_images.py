"""Image-classification sets from TensorFlow Datasets, as the vision application's `ImageData`."""

from __future__ import annotations

import numpy as np

from keras_zoo.applications.common.datasets import check_fraction, check_max_examples, prepare_tfds, tfds_builder
from keras_zoo.applications.common.loaders import split_size
from keras_zoo.applications.vision.data import DEFAULT_IMAGE_SIZE, ImageData, _check_image_size


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

    check_fraction("val_fraction", val_fraction)
    check_max_examples(max_examples)
    image_size = None if image_size is None else _check_image_size(image_size)
    builder = tfds_builder(name, data_dir=data_dir, features={"image": "Image", "label": "ClassLabel"},
                           task="an image-classification set", application="the vision application")
    features = builder.info.features
    image_feature, label_feature = features["image"], features["label"]

    height, width, channels = image_feature.shape
    if channels is None:
        raise ValueError(f"tfds:{name} has images with a varying number of channels. Received: source='tfds:{name}'")
    if image_size is None and (height is None or width is None):
        image_size = DEFAULT_IMAGE_SIZE  # the images vary in size: one size is needed to batch them
    image_shape = (*(image_size or (height, width)), channels)
    scale = {np.dtype("uint8"): 255.0, np.dtype("uint16"): 65535.0}.get(np.dtype(image_feature.np_dtype), 1.0)

    test_split = prepare_tfds(builder, name)

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
    n_train = split_size(builder, "train", train, max_examples)
    test_fraction = 0.0 if test_split else val_fraction
    parts = _random_parts(n_train, (val_fraction, test_fraction), seed=seed)  # 0 train, 1 val, 2 test
    part = tf.constant(parts, dtype=tf.int8)

    def subset(index):
        return train.enumerate().filter(lambda i, _: part[i] == index).map(lambda _, example: example)

    sizes = np.bincount(parts, minlength=3)
    test = read(test_split) if test_split else subset(2)
    counts = {"train": int(sizes[0]), "val": int(sizes[1]),
              "test": split_size(builder, test_split, test, max_examples) if test_split else int(sizes[2])}

    def finish(ds, n):  # a known size lets fit show progress and shuffle fully
        ds = ds.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.apply(tf.data.experimental.assert_cardinality(n))

    return ImageData(train=finish(subset(0), counts["train"]), val=finish(subset(1), counts["val"]),
                     test=finish(test, counts["test"]), class_names=tuple(label_feature.names),
                     image_shape=tuple(int(d) for d in image_shape), counts=counts, skipped=[], source=f"tfds:{name}")


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
