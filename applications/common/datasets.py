"""What every domain's data loaders share: argument checks and the TFDS look-up.

No TensorFlow at import time; `tfds_builder` imports tensorflow-datasets when called.
"""

from __future__ import annotations


def check_fraction(name: str, value) -> None:
    """A split fraction: a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1). Received: {name}={value!r}")


def check_split_fractions(val_fraction, test_fraction, *, test_given: bool, what: str = "examples") -> None:
    """Both fractions valid, and (without separate test data) leaving something to train on."""
    check_fraction("val_fraction", val_fraction)
    check_fraction("test_fraction", test_fraction)
    if not test_given and val_fraction + test_fraction >= 1:
        raise ValueError(f"val_fraction + test_fraction must be below 1, to leave {what} for training. "
                         f"Received: val_fraction={val_fraction}, test_fraction={test_fraction}")


def check_max_examples(max_examples) -> None:
    """A cap on each split: a positive int, or None for no cap."""
    if max_examples is not None and (isinstance(max_examples, bool) or not isinstance(max_examples, int)
                                     or max_examples < 1):
        raise ValueError(f"max_examples must be a positive int or None. Received: max_examples={max_examples!r}")


def tfds_builder(name: str, *, data_dir=None, features: dict[str, str], task: str, application: str):
    """The TFDS builder of `name`, checked to hold `features` (feature name -> tfds.features class name).

    An unknown name is a ValueError suggesting close names; a set without the features (say, an
    image set given to the NLP application) is a ValueError listing the features it has.

    Args:
        features: e.g. `{"image": "Image", "label": "ClassLabel"}`.
        task: what the set must be, for the message ("an image-classification set").
        application: who needs it, for the message ("the vision application").
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        import difflib

        close = difflib.get_close_matches(name.split("/")[0].split(":")[0], tfds.list_builders(), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"TensorFlow Datasets has no data set named {name!r}.{hint} The catalogue: "
                         f"https://www.tensorflow.org/datasets/catalog/overview. "
                         f"Received: source='tfds:{name}'") from None
    have = builder.info.features
    ok = all(key in have and isinstance(have[key], getattr(tfds.features, kind)) for key, kind in features.items())
    if not ok:
        kinds = ", ".join(f"{key}: {type(value).__name__}" for key, value in have.items())
        needed = " and ".join(f"a {key!r} ({kind})" for key, kind in features.items())
        raise ValueError(f"tfds:{name} is not {task}: it has features {{{kinds}}}; {application} needs {needed}. "
                         f"Received: source='tfds:{name}'")
    return builder


def prepare_tfds(builder, name: str) -> str | None:
    """Download and prepare a TFDS set; return its test split ("test", else "validation", else None).

    The training split is always "train"; a set without one is a ValueError.
    """
    try:
        builder.download_and_prepare()
    except Exception as error:  # no network, no disk space, a manual download needed, ...
        raise RuntimeError(f"Could not download and prepare tfds:{name} into {builder.data_dir}: {error}") from error
    available = set(builder.info.splits.keys()) or {"train", "test"}  # empty under tfds.testing.mock_data
    if "train" not in available:
        raise ValueError(f"tfds:{name} has no 'train' split; its splits are {sorted(available)}. "
                         f"Received: source='tfds:{name}'")
    return "test" if "test" in available else "validation" if "validation" in available else None
