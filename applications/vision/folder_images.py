"""A folder of class subfolders of images, as the vision application's `ImageData`.

Every file is decoded once, here: unreadable files are skipped and listed (the policy for every
folder source), the rest are resized and held in memory as uint8.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from keras_zoo.applications.common.datasets import check_split_fractions
from keras_zoo.applications.common.loaders import check_test_classes, class_files
from keras_zoo.applications.vision.data import (MAX_SIDE, SIDE_MULTIPLE, ImageData, _check_image_size, _decode,
                                                _is_grey)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
MIN_PER_SPLIT = 2  # images of each class that each split carved from a folder must hold
SIZE_SAMPLE = 1000  # files whose size is read (evenly spread over the folder) to choose the image size


def load_folder(path, *, image_size=None, seed: int = 0, val_fraction: float = 0.15,
                test_fraction: float = 0.15, test_path=None) -> ImageData:
    """Images in class subfolders (`path/<class>/<image>`), as `keras.utils.image_dataset_from_directory`.

    Every file with an image extension (.png .jpg .jpeg .bmp .gif, any case; class folders are
    searched recursively, hidden files and folders ignored) is decoded once: a file that cannot
    be decoded is skipped and listed in `skipped`. The images are resized to `image_size` (by
    default the folder's own median size, at most `MAX_SIDE` a side: `size_of`) and held in memory. They keep three channels, or one when every image is greyscale. The split is
    stratified: each class gives `val_fraction` of its images to validation and `test_fraction`
    to test (at least `MIN_PER_SPLIT` each), drawn with `seed`. With `test_path`, a folder with
    the same class subfolders, that folder is the test split and nothing is carved for it.

    Args:
        path: the folder of class subfolders; class names are the subfolder names, sorted.
        image_size: `(height, width)` every image is resized to (an int for a square); None: `size_of`.
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

    check_split_fractions(val_fraction, test_fraction, test_given=test_path is not None, what="images")
    root = Path(path)
    files = _scan_folder(root)
    class_names = tuple(files)
    if len(class_names) < 2:
        raise ValueError(f"Image folder {str(root)!r} needs at least two classes (subfolders), found only "
                         f"{class_names[0]!r}. Received: path={str(path)!r}")
    test_files = None
    if test_path is not None:
        test_files = _scan_folder(Path(test_path))
        check_test_classes(test_files, class_names, test_path=test_path, root=root)

    size_rule = ""
    if image_size is None:
        image_size, size_rule = size_of([f for paths in files.values() for f in paths])
    image_size = _check_image_size(image_size)
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
            raise ValueError(f"Class {name!r} in {str(root)!r} has {n} readable images; a {what} split needs at "
                             f"least {MIN_PER_SPLIT * splits} per class ({MIN_PER_SPLIT} per split) with these "
                             f"fractions. Add images, or lower the fractions. Received: val_fraction={val_fraction}, "
                             f"test_fraction={fractions[1]}")
        shuffled = rng.permutation(members)
        parts[shuffled[: sizes[0]]] = 1
        parts[shuffled[sizes[0]: sizes[0] + sizes[1]]] = 2

    if test_files is None:
        test_images, test_labels = images[parts == 2], labels[parts == 2]
    elif not len(test_labels):
        raise ValueError(f"The test folder {str(test_path)!r} has no readable images. Received: "
                         f"test_path={str(test_path)!r}")
    channels = 1 if _is_grey(images) and _is_grey(test_images) else 3  # test images carved from grey ones are grey

    def dataset(x, y):
        x = x[..., :channels]
        return tf.data.Dataset.from_tensor_slices((x, y)).map(
            lambda image, label: (tf.cast(image, tf.float32) / 255.0, label), num_parallel_calls=tf.data.AUTOTUNE)

    counts = {"train": int(np.sum(parts == 0)), "val": int(np.sum(parts == 1)), "test": len(test_labels)}
    return ImageData(train=dataset(images[parts == 0], labels[parts == 0]), source=str(path),
                     val=dataset(images[parts == 1], labels[parts == 1]), test=dataset(test_images, test_labels),
                     class_names=class_names, image_shape=(*image_size, channels), counts=counts, skipped=skipped,
                     size_rule=size_rule)


def size_of(files: list[Path]) -> tuple[tuple[int, int], str]:
    """`((height, width), how)`: the size a folder's images are read at, from the images themselves.

    The median height and width of (up to `SIZE_SAMPLE` of) the files, scaled down together so that
    the longer side is at most `MAX_SIDE`, each side then rounded to a multiple of `SIDE_MULTIPLE`
    (at least that): CIFAR-10's 32x32 stay 32x32, 500x375 photographs become 128x96. Only the
    files' headers are read; a file that cannot be opened is left out (decoding reports it).
    """
    from PIL import Image

    step = max(1, len(files) // SIZE_SAMPLE)
    sizes = []
    for file in files[::step][:SIZE_SAMPLE]:
        try:
            with Image.open(file) as image:
                sizes.append((image.height, image.width))
        except Exception:  # decoding skips and lists it
            continue
    if not sizes:
        return (SIDE_MULTIPLE * 8, SIDE_MULTIPLE * 8), "no readable image to measure: 64x64"
    height, width = (float(np.median([s[i] for s in sizes])) for i in (0, 1))
    scale = min(1.0, MAX_SIDE / max(height, width))
    size = tuple(max(SIDE_MULTIPLE, int(side * scale / SIDE_MULTIPLE + 0.5) * SIDE_MULTIPLE) for side in (height, width))
    return size, (f"median {height:g}x{width:g} of {len(sizes)} images" + (f", scaled to at most {MAX_SIDE} a side"
                  if scale < 1 else "") + f", rounded to a multiple of {SIDE_MULTIPLE}: {size[0]}x{size[1]}")


def _scan_folder(root: Path) -> dict[str, list[Path]]:
    """`{class name: sorted image files}` for the class subfolders of `root` that hold images."""
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise ValueError(f"Image folder {str(root)!r} {what}. Received: path={str(root)!r}")
    if all(p.name.startswith(".") for p in root.iterdir()):
        raise ValueError(f"Image folder {str(root)!r} is empty: expected {str(root)}/<class name>/<image>, one "
                         f"subfolder per class. Received: path={str(root)!r}")
    files = {name: paths for name, paths in class_files(root, IMAGE_EXTENSIONS).items() if paths}
    if not files:
        loose = sum(1 for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                    and not p.name.startswith("."))
        hint = f" It has {loose} images directly inside: put each class's images in its own subfolder." if loose else ""
        raise ValueError(f"Image folder {str(root)!r} has no class subfolders with images: expected "
                         f"{str(root)}/<class name>/<image>, images ending in {' '.join(IMAGE_EXTENSIONS)}.{hint} "
                         f"Received: path={str(root)!r}")
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
