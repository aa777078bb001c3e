"""Text data for the NLP application.

Four sources give the same `TextData` (unbatched `tf.data` splits of `(text, label)`: `text` a
`tf.string` scalar, `label` int32 in `0..len(class_names)-1`):

- `load_sample`: the embedded, SYNTHETIC corpus of `applications.nlp.corpus` (word order
  matters: negation, contrast), split stratified 64/16/20 with the seed;
- `load_tfds`: a TensorFlow Datasets text-classification set with `text` and `label` features
  (`tfds:imdb_reviews`);
- `load_folder`: a folder of class subfolders of `.txt` files, as
  `keras.utils.text_dataset_from_directory` expects;
- `load_csv`: a CSV file with `text` and `label` columns.

`load_texts` picks one from a parsed data source. Every source drops empty (or whitespace-only)
texts and counts them in `TextData.skipped`; files must be UTF-8.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from keras_zoo.applications.common.datasets import (
    check_fraction,
    check_max_examples,
    check_split_fractions,
    prepare_tfds,
    tfds_builder,
)
from keras_zoo.applications.common.loaders import capped, class_files, separate_test_path, stratified_parts
from keras_zoo.applications.nlp.corpus import CORPUS_CLASSES, generate_corpus


@dataclass(frozen=True)
class TextData:
    """Train, validation and test splits of a text-classification source, as tf.data.

    Each split is an unbatched `tf.data.Dataset` of `(text, label)`: `text` a `tf.string` scalar,
    `label` int32 in `0..len(class_names)-1`.
    """

    train: Any  # tf.data.Dataset
    val: Any
    test: Any
    class_names: tuple[str, ...]
    counts: dict  # {"train": n, "val": n, "test": n}
    skipped: int  # empty texts dropped
    source: str
    test_kinds: list[str] | None = None  # sample only: each test example's corpus "kind", in order


def load_sample(*, seed: int = 0, n: int = 4000) -> TextData:
    """The synthetic corpus (`generate_corpus(n, seed=seed)`), split stratified 64/16/20.

    The split is stratified by kind and label, so each split holds the same share of negations
    and contrasts. `test_kinds` gives each test example's kind, to report e.g. the negation subset.

    Example:
        >>> data = load_sample()
        >>> data.counts, data.class_names
        ({'train': 2560, 'val': 640, 'test': 800}, ('negative', 'positive'))
    """
    from sklearn.model_selection import train_test_split

    corpus = generate_corpus(n, seed=seed)
    texts = np.array([e["text"] for e in corpus], dtype=object)
    labels = np.array([e["label"] for e in corpus], dtype="int32")
    kinds = np.array([e["kind"] for e in corpus], dtype=object)
    strata = np.array([f"{k}/{y}" for k, y in zip(kinds, labels)], dtype=object)
    index = np.arange(len(corpus))
    rest, test = train_test_split(index, test_size=0.2, stratify=strata, random_state=seed)
    train, val = train_test_split(rest, test_size=0.2, stratify=strata[rest], random_state=seed)
    return _splits(texts, labels, train, val, (texts[test], labels[test]), class_names=CORPUS_CLASSES, skipped=0,
                   source="sample", test_kinds=[str(k) for k in kinds[test]])


def load_csv(path, *, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15,
             test_path=None) -> TextData:
    """A CSV file with a header holding `text` and `label` columns (any case; other columns ignored).

    Read with the `csv` module (quoted fields may hold commas and newlines); the file must be
    UTF-8 (a byte-order mark is allowed). Labels that are all integers give class names sorted
    numerically (`"0"`, `"1"`, ..., `"10"`); otherwise the distinct label strings, sorted. Empty or
    whitespace-only texts are dropped and counted in `skipped`. The split is stratified with
    `seed`: `val_fraction` and `test_fraction` are fractions of all the examples. With
    `test_path` (another CSV, or a folder of class subfolders, of the same classes) that is the
    test split and nothing is carved for it.

    Raises:
        ValueError: a missing file, a file that is not UTF-8 (naming the byte offset), no `text`
            or `label` column (listing the columns found), an empty label, a single class, too
            few examples of a class for the split, or test labels the training file lacks.

    Example:
        >>> data = load_csv("reviews.csv", test_fraction=0.2)
    """
    return _from_examples(*_read_csv(Path(path)), source=str(path), seed=seed, val_fraction=val_fraction,
                          test_fraction=test_fraction, test_path=test_path)


def load_folder(path, *, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15,
                test_path=None) -> TextData:
    """Texts in class subfolders (`path/<class>/<file>.txt`), as `keras.utils.text_dataset_from_directory`.

    Class names are the subfolder names, sorted (hidden folders ignored); every `.txt` file in a
    class folder, searched recursively, is one example, read as UTF-8. Empty files are dropped
    and counted in `skipped`. Splits as `load_csv`; `test_path` is another folder (or CSV) of the
    same classes.

    Raises:
        ValueError: a missing folder, fewer than two class subfolders, a class subfolder with no
            `.txt` file, a file that is not UTF-8, or too few examples of a class for the split.

    Example:
        >>> data = load_folder("aclImdb/train", test_path="aclImdb/test")
    """
    return _from_examples(*_read_folder(Path(path)), source=str(path), seed=seed, val_fraction=val_fraction,
                          test_fraction=test_fraction, test_path=test_path)


def load_tfds(name: str, *, seed: int = 0, val_fraction: float = 0.2, max_examples: int | None = None,
              data_dir=None) -> TextData:
    """A text-classification set from TensorFlow Datasets (`tfds:imdb_reviews`, `tfds:ag_news_subset`, ...).

    The set needs a `text` (Text) and a `label` (ClassLabel) feature. Its `train` split gives
    train and validation (`val_fraction` of it, stratified with `seed`); its `test` split (or
    `validation` when it has no `test`; or, with neither, a `val_fraction` carved from `train`)
    is the test split. The texts are read into memory; empty texts are dropped and counted.

    Args:
        name: a TFDS name, optionally `NAME/CONFIG` and a version.
        seed: fixes which training examples go to validation.
        val_fraction: fraction of the training split held out for validation, in [0, 1).
        max_examples: read at most this many examples of each TFDS split (for quick runs).
        data_dir: where TFDS keeps its data; its default when None.

    Raises:
        ValueError: an unknown name (with close names), or a set that is not text classification.

    Example:
        >>> data = load_tfds("imdb_reviews", max_examples=2000)
    """
    import tensorflow_datasets as tfds

    check_fraction("val_fraction", val_fraction)
    check_max_examples(max_examples)
    builder = tfds_builder(name, data_dir=data_dir, features={"text": "Text", "label": "ClassLabel"},
                           task="a text-classification set", application="the NLP application")
    test_split = prepare_tfds(builder, name)

    def read(split):
        ds = builder.as_dataset(split=split, shuffle_files=False)
        if max_examples is not None:
            ds = ds.take(max_examples)
        texts, labels, skipped = [], [], 0
        for example in tfds.as_numpy(ds):
            text = example["text"]
            text = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)
            if not text.strip():
                skipped += 1
                continue
            texts.append(text)
            labels.append(int(example["label"]))
        return np.array(texts, dtype=object), np.array(labels, dtype="int32"), skipped

    texts, labels, skipped = read("train")
    test = None
    if test_split:
        *test, test_skipped = read(test_split)
        skipped += test_skipped
    return _text_data(texts, labels, test, fractions=(val_fraction, val_fraction), seed=seed,
                      class_names=tuple(builder.info.features["label"].names), skipped=skipped, source=f"tfds:{name}")


def load_texts(kind: str, *, name=None, path=None, text: str = "", seed: int = 0, test=None,
               max_examples: int | None = None) -> TextData:
    """The text data a parsed data source names (`applications.common.sources.Source`'s fields).

    Args:
        kind: `"sample"`, `"tfds"`, `"folder"` or `"csv"`.
        name: the TFDS name, for `kind="tfds"`.
        path: the folder or CSV file, for `kind="folder"` or `"csv"`.
        text: the source as the user wrote it, recorded in `TextData.source`.
        seed: fixes the split.
        test: a folder or CSV of the same classes to test on (a path, or a parsed source of kind
            "folder" or "csv"); only with a folder or CSV source.
        max_examples: at most this many examples in each split (for quick runs); for TFDS, of
            each split read from TFDS.

    Example:
        >>> from keras_zoo.applications.common.sources import parse_source
        >>> src = parse_source("reviews.csv")
        >>> data = load_texts(src.kind, name=src.name, path=src.path, text=src.text)
    """
    test_path = separate_test_path(test, kind=kind, text=text, kinds=("folder", "csv"),
                                   test_is="text must be a folder of class subfolders or a .csv file",
                                   goes_with="A separate test set goes with a folder or CSV source")
    check_max_examples(max_examples)
    if kind == "sample":
        data = load_sample(seed=seed)
    elif kind == "tfds":
        if not name:
            raise ValueError(f"A TFDS source needs a name, as in 'tfds:imdb_reviews'. Received: source={text!r}")
        return replace(load_tfds(name, seed=seed, max_examples=max_examples), source=text or f"tfds:{name}")
    elif kind in ("folder", "csv"):
        if path is None:
            raise ValueError(f"A {kind} source needs a path. Received: source={text!r}")
        load = load_folder if kind == "folder" else load_csv
        data = load(path, seed=seed, test_path=test_path)
    else:
        raise ValueError(f"kind must be 'sample', 'tfds', 'folder' or 'csv'. Received: kind={kind!r}")
    if max_examples is not None:
        data = capped(data, max_examples,
                      test_kinds=None if data.test_kinds is None else data.test_kinds[:max_examples])
    return replace(data, source=text) if text else data


def _dataset(texts, labels):
    import tensorflow as tf

    texts = tf.constant([str(t) for t in texts], dtype=tf.string, shape=(len(texts),))
    labels = tf.constant(np.asarray(labels, dtype="int32"), dtype=tf.int32, shape=(len(texts),))
    return tf.data.Dataset.from_tensor_slices((texts, labels))


def _text_data(texts, labels, test, *, fractions, seed: int, class_names, skipped: int, source: str) -> TextData:
    """`TextData` of all examples split by `fractions` (validation, test); with `test` examples
    `(texts, labels)`, split for validation only."""
    if test is None:
        train, val, held = _split(labels, fractions, seed=seed, class_names=class_names, source=source)
        test = texts[held], labels[held]
    else:
        train, val = _split(labels, fractions[:1], seed=seed, class_names=class_names, source=source)
    return _splits(texts, labels, train, val, test, class_names=class_names, skipped=skipped, source=source)


def _splits(texts, labels, train, val, test, **fields) -> TextData:
    """`TextData` of the examples at indices `train` and `val`, and of the `test` examples `(texts, labels)`."""
    return TextData(train=_dataset(texts[train], labels[train]), val=_dataset(texts[val], labels[val]),
                    test=_dataset(*test), counts={"train": len(train), "val": len(val), "test": len(test[1])}, **fields)


def _decode_utf8(data: bytes, file: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{str(file)!r} is not UTF-8: byte 0x{data[error.start]:02x} at offset {error.start} cannot "
                         f"be decoded. Re-save the file as UTF-8. Received: path={str(file)!r}") from None


def _read_csv(path: Path) -> tuple[list[str], list[str], int]:
    """Texts, raw label strings and the number of empty texts skipped."""
    if not path.is_file():
        raise ValueError(f"CSV file {str(path)!r} does not exist. Received: path={str(path)!r}")
    reader = csv.reader(io.StringIO(_decode_utf8(path.read_bytes(), path), newline=""))
    header = next(reader, None)
    columns = [c.strip().lower() for c in header] if header else []
    if "text" not in columns or "label" not in columns:
        found = [c.strip() for c in header] if header else []
        raise ValueError(f"CSV file {str(path)!r} needs a header with 'text' and 'label' columns (any case); "
                         f"the columns found are {found}. Received: path={str(path)!r}")
    text_at, label_at = columns.index("text"), columns.index("label")
    texts, labels, skipped = [], [], 0
    for row in reader:
        if not row or all(not field.strip() for field in row):  # a blank line
            continue
        text = row[text_at] if text_at < len(row) else ""
        label = row[label_at].strip() if label_at < len(row) else ""
        if not text.strip():
            skipped += 1
            continue
        if not label:
            raise ValueError(f"CSV file {str(path)!r} has an empty label on line {reader.line_num}. "
                             f"Received: path={str(path)!r}")
        texts.append(text)
        labels.append(label)
    return texts, labels, skipped


def _read_folder(path: Path) -> tuple[list[str], list[str], int]:
    """Texts, class (subfolder) names and the number of empty files skipped."""
    if not path.is_dir():
        raise ValueError(f"Text folder {str(path)!r} does not exist. Received: path={str(path)!r}")
    classes = class_files(path, (".txt",))
    if len(classes) < 2:
        raise ValueError(f"Text folder {str(path)!r} needs at least two class subfolders of .txt files; "
                         f"found {list(classes)}. Received: path={str(path)!r}")
    texts, labels, skipped = [], [], 0
    for name, files in classes.items():
        if not files:
            raise ValueError(f"Class subfolder {str(path / name)!r} has no .txt files. Received: path={str(path)!r}")
        for file in files:
            text = _decode_utf8(file.read_bytes(), file)
            if not text.strip():
                skipped += 1
                continue
            texts.append(text)
            labels.append(name)
    return texts, labels, skipped


def _class_names(labels: list[str]) -> tuple[str, ...]:
    distinct = set(labels)
    try:
        return tuple(str(v) for v in sorted({int(v) for v in distinct}))
    except ValueError:
        return tuple(sorted(distinct))


def _label_ids(labels: list[str], class_names: tuple[str, ...], numeric: bool) -> np.ndarray:
    index = {name: i for i, name in enumerate(class_names)}
    return np.array([index[str(int(v)) if numeric else v] for v in labels], dtype="int32")


def _split(labels: np.ndarray, fractions, *, seed: int, class_names, source: str):
    """Indices of train and then one part per fraction (0 gives an empty part), stratified by label."""
    carved = [f for f in fractions if f > 0]
    for i, count in enumerate(np.bincount(labels, minlength=len(class_names))):
        if 0 < count < max(1 + len(carved), 2 if carved else 1):
            raise ValueError(f"Class {class_names[i]!r} of {source!r} has only {count} example(s): too few to stratify "
                             f"it into train and {'/'.join(str(f) for f in carved)} held-out fractions. "
                             f"Add examples or lower the fractions. Received: source={source!r}")
    return stratified_parts(labels, fractions, seed=seed, source=source)


def _from_examples(texts, labels, skipped, *, source: str, seed: int, val_fraction: float,
                   test_fraction: float, test_path) -> TextData:
    check_split_fractions(val_fraction, test_fraction, test_given=test_path is not None)
    if not texts:
        raise ValueError(f"{source!r} holds no non-empty texts ({skipped} empty skipped). Received: path={source!r}")
    class_names = _class_names(labels)
    if len(class_names) < 2:
        raise ValueError(f"{source!r} has a single class {class_names[0]!r}: classification needs at least two. "
                         f"Received: path={source!r}")
    numeric = all(_is_int(v) for v in labels)
    ids = _label_ids(labels, class_names, numeric)
    test = None
    if test_path is not None:
        *test, test_skipped = read_examples(test_path, class_names, numeric=numeric, role="test data")
        skipped += test_skipped
    return _text_data(np.array(texts, dtype=object), ids, test, fractions=(val_fraction, test_fraction), seed=seed,
                      class_names=class_names, skipped=skipped, source=source)


def read_examples(path, class_names, *, numeric: bool | None = None, role: str = "data"):
    """Every example of a CSV file or class folder, labelled with ids of the given `class_names`.

    For test data with known classes (`zoo evaluate nlp --data test.csv`). Integer labels match
    the class names numerically ("01" is class "1") when `numeric` (by default: when every class
    name is an integer).

    Returns:
        `(texts, label_ids, skipped)`: an object array, an int32 array, the empty texts dropped.

    Raises:
        ValueError: as `load_csv` / `load_folder`, and for a class the `class_names` lack.
    """
    texts, labels, skipped = (_read_folder if Path(path).is_dir() else _read_csv)(Path(path))
    if numeric is None:
        numeric = all(_is_int(c) for c in class_names)
    names = [str(int(v)) if numeric and _is_int(v) else v for v in labels]
    unknown = sorted(set(names) - set(class_names))
    if unknown:
        raise ValueError(f"The {role} {str(path)!r} has classes {unknown} that the model does not know; "
                         f"its classes must be among {list(class_names)}. Received: path={str(path)!r}")
    return np.array(texts, dtype=object), _label_ids(names, tuple(class_names), numeric=False), skipped


def _is_int(value: str) -> bool:
    try:
        int(value)
        return True
    except ValueError:
        return False
