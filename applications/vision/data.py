"""Image data for the vision application.

`digits_splits` is the embedded sample: scikit-learn's bundled copy of the UCI handwritten digits
(1,797 real 8x8 greyscale images, 10 classes; Alpaydin and Kaynak 1998, CC BY 4.0). The split is
fixed by its seed, so that a checkpoint's card and the test that re-measures it use the same
held-out images.
"""

from __future__ import annotations

from dataclasses import dataclass

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
