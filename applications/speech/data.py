"""Audio data for the speech (keyword spotting) application.

Three sources give the same `SpeechData` (unbatched `tf.data` splits of `(audio, label)`: `audio`
float32 `(clip_samples,)` at 16 kHz in [-1, 1], `label` int32 in `0..len(class_names)-1`):

- `load_sample`: the embedded, SYNTHETIC clips (`applications.speech.sample`, made with espeak-ng),
  split by voice: the test voices are never heard in training;
- `load_folder`: a folder of class subfolders of `.wav` files at any rate, mono or stereo (as
  Speech Commands is laid out; a `_background_noise_` folder becomes the noise for augmentation);
- `load_tfds`: a TensorFlow Datasets audio-classification set (`tfds:speech_commands`).

`load_audio` picks one from a parsed data source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from keras_zoo.applications.common.datasets import check_max_examples, check_split_fractions, prepare_tfds, tfds_builder
from keras_zoo.applications.common.loaders import (capped, check_test_classes, class_files, separate_test_path,
                                                   split_size, stratified_parts)
from keras_zoo.applications.speech.wav import SAMPLE_RATE, WavError, load_clip, read_wav

CLIP_SAMPLES = SAMPLE_RATE  # one second
NOISE_FOLDER = "_background_noise_"  # Speech Commands' name for its noise recordings
WAV_EXTENSIONS = (".wav", ".wave")
MIN_PER_CLASS = 2
# `<label>_<speaker>_<n>`, as the Free Spoken Digit Dataset names its files (`3_jackson_12.wav`).
SPEAKER_PATTERN = r"^[^_]+_(?P<speaker>[^_]+)_[^_]+$"
MIN_TRAIN_SPEAKERS = 3  # validation holds out speakers only while this many are left to train on


@dataclass(frozen=True)
class SpeechData:
    """Train, validation and test splits of keyword clips, as unbatched tf.data of `(audio, label)`."""

    train: Any  # tf.data.Dataset
    val: Any
    test: Any
    class_names: tuple[str, ...]
    counts: dict  # {"train": n, "val": n, "test": n}
    source: str
    skipped: list[str] = field(default_factory=list)  # "file: why" for files that could not be read
    cropped: int = 0  # clips longer than the clip length, cut to their loudest stretch
    noise: np.ndarray | None = None  # background noise at 16 kHz, for augmentation
    groups: dict | None = None  # split -> speaker or voice of each example, where known
    notes: dict = field(default_factory=dict)  # how the data was split, what was held out


def load_sample(*, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.2) -> SpeechData:
    """The shipped synthetic clips, split by voice: test and validation voices are not in training.

    A voice is an espeak-ng voice and variant (say `en-gb-scotland+f2`); the same voice at
    another speaking rate or pitch counts as the same voice, so the held-out voices are new to
    the model, not just spoken faster.

    Example:
        >>> data = load_sample()
        >>> data.counts, len(data.class_names)
    """
    from keras_zoo.applications.speech.sample import load_sample as read_sample

    check_split_fractions(val_fraction, test_fraction, test_given=False, what="voices")
    sample = read_sample()
    speakers = np.array([str(v).split("/")[0] for v in sample.voices])
    train, val, test = split_by_group(speakers, (val_fraction, test_fraction), seed=seed)
    return SpeechData(
        train=_dataset(sample.audio[train], sample.labels[train]),
        val=_dataset(sample.audio[val], sample.labels[val]),
        test=_dataset(sample.audio[test], sample.labels[test]),
        class_names=tuple(sample.words),
        counts={"train": len(train), "val": len(val), "test": len(test)},
        source="sample",
        groups={"train": speakers[train].tolist(), "val": speakers[val].tolist(), "test": speakers[test].tolist()},
        notes={"split": "by voice", "test_voices": sorted(set(speakers[test].tolist())),
               "synthetic": "espeak-ng voices (tools/speech_sample.py)"},
    )


def split_by_group(groups: np.ndarray, fractions, *, seed: int) -> list[np.ndarray]:
    """Indices of train and one part per fraction, whole groups to a part (about `fraction` of the groups)."""
    names = np.array(sorted(set(groups.tolist())))
    order = np.random.default_rng(seed).permutation(len(names))
    parts, at = [], 0
    for fraction in fractions:
        k = max(1, int(round(fraction * len(names)))) if fraction > 0 else 0
        parts.append(set(names[order[at:at + k]].tolist()))
        at += k
    if at >= len(names):
        raise ValueError(f"Only {len(names)} speakers or voices: too few to hold out {list(fractions)} of them and "
                         f"keep some for training.")
    taken = set().union(*parts)
    index = np.arange(len(groups))
    train = index[[g not in taken for g in groups]]
    return [train, *(index[[g in part for g in groups]] for part in parts)]


def load_folder(path, *, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15, test_path=None,
                clip_samples: int = CLIP_SAMPLES, group_by: str | None = None, speaker_pattern: str | None = None,
                test_speakers=None) -> SpeechData:
    """Keyword clips in class subfolders (`path/<word>/<clip>.wav`), as Speech Commands is laid out.

    Class names are the subfolder names, sorted; hidden folders and folders starting with `_` are
    not classes, and a `_background_noise_` folder's recordings become the noise mixed into
    training clips. Every `.wav` file (searched recursively) is read at any rate, mono or
    stereo, 8/16/24/32-bit or float, resampled to 16 kHz, and padded (centred) or cropped (to its
    loudest stretch) to `clip_samples`. A file that cannot be read (empty, not a wav) is skipped
    and listed in `skipped`. The split is stratified by class with `seed`; with `test_path` (a
    folder with the same class subfolders), that folder is the test split.

    With `group_by="speaker"` the held-out parts hold out whole speakers instead (`split_by_speaker`):
    each clip's speaker is read from its file name by `speaker_pattern` (default
    `SPEAKER_PATTERN`, `<label>_<speaker>_<n>.wav`); `test_speakers` names the test speakers
    (one fold of leave-one-speaker-out), else `test_fraction` of them are drawn with `seed`.

    Raises:
        ValueError: a missing folder, fewer than two classes, a class without readable clips,
            too few clips of a class for the split, different classes in the test folder, or a
            file far longer than a clip.

    Example:
        >>> data = load_folder("digits/train", test_path="digits/test")
    """
    check_split_fractions(val_fraction, test_fraction, test_given=test_path is not None, what="clips")
    root = Path(path)
    files = _scan(root)
    class_names = tuple(files)
    skipped: list[str] = []
    audio, labels, cropped, kept = _read_classes(files, class_names, clip_samples, skipped, root)
    noise = _read_noise(root, skipped)
    notes = {"split": "stratified by class" + (", test from --test-data" if test_path is not None else "")}
    if group_by is not None:
        if test_path is not None:
            raise ValueError("--group-by speaker holds out speakers of one folder; --test-data brings its own test "
                             "split. Give one of them.")
        (train, val, test), notes = split_by_speaker(speakers_of(kept, speaker_pattern), labels, class_names,
                                                     seed=seed, fractions=(val_fraction, test_fraction),
                                                     test_speakers=test_speakers)
    elif test_speakers:
        raise ValueError("Test speakers are held out with --group-by speaker.")
    elif test_path is not None:
        test_files = _scan(Path(test_path))
        check_test_classes(test_files, class_names, test_path=test_path, root=root)
        test_audio, test_labels, test_cropped, _ = _read_classes(test_files, class_names, clip_samples, skipped,
                                                                 Path(test_path))
        cropped += test_cropped
        train, val = _stratified(labels, (val_fraction,), seed=seed, class_names=class_names, source=str(root))
    else:
        train, val, test = _stratified(labels, (val_fraction, test_fraction), seed=seed, class_names=class_names,
                                       source=str(root))
    if test_path is None:
        test_audio, test_labels = audio[test], labels[test]
    return SpeechData(
        train=_dataset(audio[train], labels[train]),
        val=_dataset(audio[val], labels[val]),
        test=_dataset(test_audio, test_labels),
        class_names=class_names,
        counts={"train": len(train), "val": len(val), "test": len(test_labels)},
        source=str(path),
        skipped=skipped,
        cropped=cropped,
        noise=noise,
        notes=notes,
    )


def read_examples(path, class_names, *, clip_samples: int = CLIP_SAMPLES):
    """Every clip of a class folder, labelled with ids of the given `class_names` (for `zoo evaluate`).

    Returns:
        `(audio, labels, skipped, cropped)`.

    Raises:
        ValueError: as `load_folder`, and for a class subfolder the `class_names` lack.
    """
    root = Path(path)
    files = _scan(root, min_classes=1)
    unknown = sorted(set(files) - set(class_names))
    if unknown:
        raise ValueError(f"The folder {str(root)!r} has classes {unknown} that the model does not know; its classes "
                         f"must be among {list(class_names)}. Received: path={str(root)!r}")
    skipped: list[str] = []
    audio, labels, cropped, _ = _read_classes(files, tuple(class_names), clip_samples, skipped, root)
    return audio, labels, skipped, cropped


def load_tfds(name: str, *, seed: int = 0, val_fraction: float = 0.1, max_examples: int | None = None,
              data_dir=None, clip_samples: int = CLIP_SAMPLES) -> SpeechData:
    """An audio-classification set from TensorFlow Datasets (`tfds:speech_commands`), streamed.

    The set needs an `audio` (Audio) and a `label` (ClassLabel) feature, at 16 kHz (its
    `sample_rate` is checked when the feature records one). Clips are padded (centred) or
    cropped (centre) to `clip_samples` in the tf.data pipeline, so the set is never held in memory.
    Its `validation` split is the validation split when it has one (else `val_fraction` of `train`,
    by a hash of the example's position); its `test` split is the test split.

    Raises:
        ValueError: an unknown name (with close names), a set that is not audio classification,
            or audio at another sample rate.
    """
    import tensorflow as tf

    check_max_examples(max_examples)
    builder = tfds_builder(name, data_dir=data_dir, features={"audio": "Audio", "label": "ClassLabel"},
                           task="an audio-classification set", application="the speech application")
    rate = getattr(builder.info.features["audio"], "sample_rate", None)
    if rate not in (None, SAMPLE_RATE):
        raise ValueError(f"tfds:{name} is sampled at {rate} Hz; the speech application reads {SAMPLE_RATE} Hz sets "
                         f"from TFDS (for other rates, export the clips to a wav folder). Received: source='tfds:{name}'")
    test_split = prepare_tfds(builder, name)
    splits = set(builder.info.splits.keys())
    scale = _full_scale(builder.info.features["audio"])

    def read(split):
        ds = builder.as_dataset(split=split, shuffle_files=False)
        if max_examples is not None:
            ds = ds.take(max_examples)
        return ds.map(lambda ex: (_fit_tf(tf.cast(ex["audio"], tf.float32) / scale, clip_samples),
                                  tf.cast(ex["label"], tf.int32)), num_parallel_calls=tf.data.AUTOTUNE)

    def size(split):
        return split_size(builder, split, builder.as_dataset(split=split), max_examples)

    train = read("train")
    counts = {"train": size("train")}
    if "validation" in splits and test_split != "validation":
        val, counts["val"] = read("validation"), size("validation")
    else:  # every k-th example (k = 1 / val_fraction), offset by the seed
        k = max(2, int(round(1 / val_fraction))) if val_fraction else 0
        keyed = train.enumerate()
        val = keyed.filter(lambda i, _: k > 0 and i % k == seed % max(k, 1)).map(lambda i, ex: ex)
        train = keyed.filter(lambda i, _: k == 0 or i % k != seed % max(k, 1)).map(lambda i, ex: ex)
        held = len(range(seed % k, counts["train"], k)) if k else 0
        counts = {"train": counts["train"] - held, "val": held}
    test = read(test_split) if test_split else val
    counts["test"] = size(test_split) if test_split else counts["val"]
    return SpeechData(train=train, val=val, test=test, class_names=tuple(builder.info.features["label"].names),
                      counts=counts, source=f"tfds:{name}", notes={"split": "TFDS splits"})


def speakers_of(files, pattern: str | None = None) -> np.ndarray:
    """Each file's speaker, read from its name (without extension) by `pattern`'s `speaker` group (or
    its first group); a ValueError naming the first file it does not match."""
    try:
        regex = re.compile(pattern or SPEAKER_PATTERN, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"--speaker-regex is not a regular expression ({error}). Received: {pattern!r}") from None
    if not regex.groups:
        raise ValueError(f"--speaker-regex needs a group that captures the speaker, as (?P<speaker>[^_]+). "
                         f"Received: {pattern!r}")
    group = "speaker" if "speaker" in regex.groupindex else 1
    speakers = []
    for file in files:
        match = regex.search(Path(file).stem)
        if not match or not match.group(group):
            raise ValueError(f"Cannot read a speaker from {str(file)!r}: its name does not match "
                             f"{regex.pattern!r} (<label>_<speaker>_<n>.wav). Rename the files, or give "
                             f"--speaker-regex with a (?P<speaker>...) group.")
        speakers.append(match.group(group))
    return np.array(speakers)


def split_by_speaker(speakers: np.ndarray, labels: np.ndarray, class_names, *, seed: int, fractions,
                     test_speakers=None) -> tuple[list[np.ndarray], dict]:
    """`([train, val, test], notes)`: test holds out whole speakers (`test_speakers`, or `fractions[1]`
    of them drawn with `seed`); validation too while at least `MIN_TRAIN_SPEAKERS` are left to
    train on, else a stratified share of the training speakers' clips (it only stops training).

    Raises:
        ValueError: an unknown test speaker, no speaker left to train on, or a word that the test
            speakers never say (its accuracy could not be measured).
    """
    names = sorted(set(speakers.tolist()))
    if test_speakers:
        unknown = sorted(set(test_speakers) - set(names))
        if unknown:
            raise ValueError(f"No clip of speaker(s) {unknown}; the speakers are {names}.")
        held_out = np.isin(speakers, list(test_speakers))
        rest, test = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    else:
        rest, test = split_by_group(speakers, (fractions[1],), seed=seed)
    left, test_names = sorted(set(speakers[rest].tolist())), sorted(set(speakers[test].tolist()))
    if not left:
        raise ValueError(f"Holding out {test_names} leaves no speaker to train on.")
    missing = [class_names[c] for c in range(len(class_names)) if not np.any(labels[test] == c)]
    if missing:
        raise ValueError(f"The test speakers {test_names} never say {missing}: a split must leave every word some "
                         f"test speaker. Hold out others (--seed) or record those words.")
    val_speakers = max(1, int(round(fractions[0] * len(left))))
    if len(left) - val_speakers >= MIN_TRAIN_SPEAKERS:
        train, val = (rest[i] for i in split_by_group(speakers[rest], (fractions[0],), seed=seed))
        held = "by speaker"
    else:
        train, val = (rest[i] for i in _stratified(labels[rest], (fractions[0],), seed=seed,
                                                   class_names=class_names, source="the training speakers"))
        held = "clips of the training speakers"
    return [np.sort(train), np.sort(val), np.sort(test)], {
        "split": f"by speaker: test {', '.join(test_names)} held out; validation {held}",
        "test_speakers": test_names, "val_speakers": sorted(set(speakers[val].tolist())),
        "train_speakers": sorted(set(speakers[train].tolist()))}


def load_audio(kind: str, *, name=None, path=None, text: str = "", seed: int = 0, test=None,
               max_examples: int | None = None, group_by: str | None = None, speaker_pattern: str | None = None,
               test_speakers=None) -> SpeechData:
    """The clips a parsed data source names (`applications.common.sources.Source`'s fields).

    Args:
        kind: `"sample"`, `"tfds"` or `"folder"` (a CSV is not an audio source).
        test: a folder of the same classes to test on (a path, or a parsed source of kind
            "folder"); only with a folder source.
        max_examples: at most this many clips in each split (for quick runs).
    """
    test_path = separate_test_path(test, kind=kind, text=text, test_is="speech must be a folder of class subfolders "
                                   "of .wav files", goes_with="A separate test set goes with a folder source")
    check_max_examples(max_examples)
    if (group_by or test_speakers) and kind != "folder":
        raise ValueError(f"--group-by speaker reads speakers from the file names of a folder of .wav files; "
                         f"{kind!r} sources split their own way. Received: source={text or kind!r}")
    if kind == "sample":
        data = load_sample(seed=seed)
    elif kind == "tfds":
        if not name:
            raise ValueError(f"A TFDS source needs a name, as in 'tfds:speech_commands'. Received: source={text!r}")
        data = load_tfds(name, seed=seed, max_examples=max_examples)
    elif kind == "folder":
        data = load_folder(path, seed=seed, test_path=test_path, group_by=group_by, speaker_pattern=speaker_pattern,
                           test_speakers=test_speakers)
    elif kind == "csv":
        raise ValueError(f"The speech application reads audio: 'sample', 'tfds:NAME' or a folder of class subfolders "
                         f"of .wav files, not a CSV file. Received: source={text!r}")
    else:
        raise ValueError(f"kind must be 'sample', 'tfds' or 'folder'. Received: kind={kind!r}")
    if max_examples is not None and kind != "tfds":
        data = capped(data, max_examples, groups=None if data.groups is None else {
            s: g[:max_examples] for s, g in data.groups.items()})
    return replace(data, source=text) if text else data


def _dataset(audio: np.ndarray, labels: np.ndarray):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((audio.astype(np.float32), labels.astype(np.int32)))


def _scan(root: Path, *, min_classes: int = 2) -> dict[str, list[Path]]:
    if not root.is_dir():
        raise ValueError(f"Audio folder {str(root)!r} does not exist. Received: path={str(root)!r}")
    files = class_files(root, WAV_EXTENSIONS, skip=(".", "_"))
    if len(files) < min_classes:
        raise ValueError(
            f"Audio folder {str(root)!r} needs at least {min_classes} class subfolders of .wav files (one per word); "
            f"found {list(files)}. Received: path={str(root)!r}"
        )
    for name, found in files.items():
        if not found:
            raise ValueError(f"Class subfolder {str(root / name)!r} has no .wav files. Received: path={str(root)!r}")
    return files


def _read_classes(files: dict, class_names: tuple, clip_samples: int, skipped: list, root: Path):
    """`(audio, labels, cropped, files read)`: every readable clip; the others listed in `skipped`."""
    audio, labels, cropped, kept = [], [], 0, []
    for name, paths in files.items():
        label = class_names.index(name)
        before = len(audio)
        for file in paths:
            try:
                clip, was_cropped = load_clip(file, clip_samples=clip_samples)
            except WavError as error:
                if "lasts" in str(error):  # far too long: a mistake worth stopping for, not skipping
                    raise
                skipped.append(f"{file}: {str(error).split('. Received')[0]}")
                continue
            audio.append(clip)
            labels.append(label)
            kept.append(file)
            cropped += was_cropped
        if len(audio) == before:
            raise ValueError(f"No readable .wav file in {str(root / name)!r} ({len(paths)} skipped; the first: "
                             f"{skipped[-len(paths)] if skipped else '?'}). Received: path={str(root)!r}")
    return np.stack(audio), np.array(labels, dtype=np.int32), cropped, kept


def _read_noise(root: Path, skipped: list) -> np.ndarray | None:
    folder = root / NOISE_FOLDER
    if not folder.is_dir():
        return None
    parts = []
    for file in sorted(folder.glob("*")):
        if file.suffix.lower() in WAV_EXTENSIONS:
            try:
                parts.append(read_wav(file))
            except WavError as error:
                skipped.append(f"{file}: {str(error).split('. Received')[0]}")
    return np.concatenate(parts) if parts else None


def _stratified(labels: np.ndarray, fractions, *, seed: int, class_names, source: str):
    """Indices of train and then one part per fraction (0 gives an empty part), stratified by class."""
    need = max(MIN_PER_CLASS, 1 + sum(f > 0 for f in fractions))
    for i, count in enumerate(np.bincount(labels, minlength=len(class_names))):
        if count < need:
            raise ValueError(
                f"Class {class_names[i]!r} of {source!r} has only {count} readable clip(s): too few to split into "
                f"train and held-out parts (at least {need} needed). Received: path={source!r}"
            )
    # At least one clip of every class in each held-out part: few-shot data (5 clips a word) too.
    return stratified_parts(labels, fractions, seed=seed, source=source, what="clips", key="path",
                            min_size=len(class_names))


def _full_scale(feature) -> float:
    """What divides a TFDS Audio feature's samples to bring them into [-1, 1]."""
    dtype = np.dtype(getattr(getattr(feature, "dtype", None), "as_numpy_dtype", np.int16))
    return float(-np.iinfo(dtype).min) if np.issubdtype(dtype, np.integer) and dtype.itemsize <= 2 else (
        32768.0 if np.issubdtype(dtype, np.integer) else 1.0)


def _fit_tf(audio, length: int):
    """Pad (centred) or crop (centre) a 1-D tensor to `length` samples, in the graph."""
    import tensorflow as tf

    audio = tf.reshape(audio, [-1])
    n = tf.shape(audio)[0]
    start = tf.maximum((n - length) // 2, 0)
    audio = audio[start:start + length]
    short = length - tf.shape(audio)[0]
    audio = tf.pad(audio, [[short // 2, short - short // 2]])
    return tf.ensure_shape(audio, [length])
