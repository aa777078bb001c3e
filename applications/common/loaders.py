"""What the vision, NLP and speech loaders share: class folders, separate test data, splits, caps.

No TensorFlow at import time; `stratified_parts` imports scikit-learn when called.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np


def class_files(root: Path, extensions, *, skip=(".",)) -> dict[str, list[Path]]:
    """`{class name: sorted files}` for the subfolders of `root`, sorted by name.

    A class folder's files are those ending in one of `extensions` (any case), searched
    recursively; hidden files and folders are ignored, and so are the subfolders of `root` whose
    name starts with one of `skip`. A class folder without such files maps to `[]`.
    """
    def visible(p: Path) -> bool:
        return not any(part.startswith(".") for part in p.relative_to(root).parts)

    return {d.name: sorted(f for f in d.rglob("*") if f.is_file() and f.suffix.lower() in extensions and visible(f))
            for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(skip)}


def check_test_classes(test_classes, class_names, *, test_path, root) -> None:
    """A ValueError unless the test folder's class subfolders are the training folder's."""
    if tuple(test_classes) != tuple(class_names):
        missing = sorted(set(class_names) - set(test_classes))
        extra = sorted(set(test_classes) - set(class_names))
        raise ValueError(f"The test folder {str(test_path)!r} must have the same class subfolders as {str(root)!r}: "
                         f"it lacks {missing} and has {extra} in addition. Received: test_path={str(test_path)!r}")


def separate_test_path(test, *, kind: str, text: str, test_is: str, goes_with: str, kinds=("folder",)):
    """The path of separate test data (a path, or a parsed `Source` of one of `kinds`); None without.

    Raises:
        ValueError: `"Test data for {test_is}."` for test data of another kind, and `goes_with`
            for a source of a `kind` not in `kinds` (such sources bring their own test split).
    """
    if test is None:
        return None
    test_path = getattr(test, "path", test)
    if getattr(test, "kind", kinds[0]) not in kinds or test_path is None:
        raise ValueError(f"Test data for {test_is}. Received: test={getattr(test, 'text', test)!r}")
    if kind not in kinds:
        raise ValueError(f"{goes_with}; {kind!r} sources bring their own test split. "
                         f"Received: source={text or kind!r}, test={str(test_path)!r}")
    return test_path


def stratified_parts(labels: np.ndarray, fractions, *, seed: int, source: str, what: str = "examples",
                     key: str = "source", min_size: int | None = None) -> list[np.ndarray]:
    """Sorted indices of train and then one part per fraction (0 gives an empty part), stratified by label.

    Each fraction is of all the examples; the parts are drawn in turn from what is left, by
    scikit-learn's `train_test_split` with `random_state=seed`, so a seed always gives the same
    split. With `min_size`, a part's size is rounded to a whole number of examples, and at least
    `min_size`. A split scikit-learn refuses is a ValueError naming `source` (`Received: {key}=...`).
    """
    from sklearn.model_selection import train_test_split

    rest, parts, remaining = np.arange(len(labels)), [], 1.0
    for fraction in fractions:
        if fraction <= 0:
            parts.append(np.array([], dtype="int64"))
            continue
        size = fraction / remaining
        if min_size is not None:
            size = max(int(round(size * len(rest))), min_size)
        try:
            rest, part = train_test_split(rest, test_size=size, stratify=labels[rest], random_state=seed)
        except ValueError as error:
            raise ValueError(f"Could not split {source!r} stratified by class ({error}). Add {what} or lower the "
                             f"fractions. Received: {key}={source!r}") from None
        remaining -= fraction
        parts.append(np.sort(part))
    return [np.sort(rest), *parts]


def capped(data, max_examples: int, **changes):
    """`data` (a dataclass with tf.data `train`, `val`, `test` and their `counts`), each split cut to `max_examples`."""
    return replace(data, **{s: getattr(data, s).take(max_examples) for s in ("train", "val", "test")},
                   counts={s: min(n, max_examples) for s, n in data.counts.items()}, **changes)


def split_size(builder, split: str, ds, cap: int | None) -> int:
    """The number of examples of a TFDS split (`ds`, read from it), at most `cap`."""
    info = builder.info.splits
    n = info[split].num_examples if split in info else int(ds.reduce(0, lambda count, _: count + 1))
    return min(n, cap) if cap is not None else n
