"""Loading saved zoo models."""

from __future__ import annotations

import os


def load_model(path: str | os.PathLike):
    """Load a `.keras` file saved from a zoo model, in Keras safe mode (no code is deserialised).

    Plain `keras.saving.load_model` works too once `keras_zoo.layers` has been imported; `import keras_zoo`
    alone does not import Keras, so it cannot register the zoo's custom layers by itself.

    Example:
        >>> zoo.create_model("resnet20").save("resnet20.keras")
        >>> model = zoo.load_model("resnet20.keras")

    Raises:
        ValueError: no such file; not a `.keras` zip file; a file that safe mode refuses (a Python
            `Lambda`, which would run code from the file) or that names a class neither Keras nor
            the zoo defines. The message is one line and names the file.
    """
    import zipfile

    import keras

    import keras_zoo.layers  # noqa: F401  (registers the custom layers under package "zoo")

    if not os.path.isfile(path):
        raise ValueError(f"No such model file: {os.fspath(path)}. Give a .keras file saved by Keras or the zoo.")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{os.fspath(path)} is not a .keras file (a zip archive of config.json and weights); "
                         f"it may be truncated or another format.")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (TypeError, ValueError, KeyError, zipfile.BadZipFile) as err:
        # Keras' messages run over many lines and may quote the whole config: keep the first sentence.
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, TypeError) and "could not be deserialized" in first:
            first = ("its config.json names a class that neither Keras nor the zoo defines (only those are "
                     "loaded; nothing in the file is run)")
        raise ValueError(f"Refused to load {os.fspath(path)}: {first[:400]}") from err
