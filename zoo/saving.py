"""Loading saved zoo models."""

from __future__ import annotations

import os


def load_model(path: str | os.PathLike):
    """Load a `.keras` file saved from a zoo model, in Keras safe mode (no code is deserialised).

    Plain `keras.saving.load_model` works too after `import keras_zoo`, in either import order
    (`register_with_keras`): the zoo's layers are registered once Keras is imported.

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
        model = keras.saving.load_model(path, safe_mode=True)
    except (TypeError, ValueError, KeyError, zipfile.BadZipFile) as err:
        # Keras' messages run over many lines and may quote the whole config: keep the first sentence.
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, TypeError) and "could not be deserialized" in first:
            first = ("its config.json names a class that neither Keras nor the zoo defines (only those are "
                     "loaded; nothing in the file is run)")
        raise ValueError(f"Refused to load {os.fspath(path)}: {first[:400]}") from err
    _mark_run_network(model, path)
    return model


def _mark_run_network(model, path) -> None:
    """A run's `model.keras` (its `metrics.json` beside it): give the registry network inside its
    `zoo_spec` (`checkpoints.run_network`), so that `zoo.save_checkpoint` takes the loaded model."""
    import json
    from pathlib import Path

    record_file = Path(path).with_name("metrics.json")
    if Path(path).name != "model.keras" or not record_file.is_file():
        return
    from keras_zoo.checkpoints import CheckpointError, run_network

    try:
        record = json.loads(record_file.read_text())
        if record.get("data", {}).get("classes"):  # a classifier's run (finance keeps its own checkpoints)
            run_network(model, record)
    except (CheckpointError, ValueError, KeyError, TypeError):
        pass  # not a zoo train record: the model loads as it is


def register_with_keras() -> None:
    """Make plain `keras.saving.load_model` read zoo models, as `import keras_hub` does, without
    importing Keras here: the zoo's layers (`keras_zoo.layers`) are registered now if Keras is
    already imported, else right after `keras` is first imported (a one-shot import hook).
    `import keras_zoo` calls it, so `zoo list` still starts without TensorFlow."""
    import sys

    if "keras" in sys.modules and getattr(sys.modules["keras"], "saving", None) is not None:
        import keras_zoo.layers  # noqa: F401
        return
    if not any(isinstance(finder, _AfterKeras) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKeras())


class _AfterKeras:
    """A meta path finder that lets `keras` import as usual, then imports `keras_zoo.layers` once."""

    busy = False  # while it asks the other finders where keras is

    def find_spec(self, name, path=None, target=None):
        if name != "keras" or self.busy:
            return None
        import importlib.util
        import sys

        self.busy = True
        try:
            spec = importlib.util.find_spec("keras")  # the real finders
        finally:
            self.busy = False
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            if self in sys.meta_path:  # done: keras is imported
                sys.meta_path.remove(self)
            try:
                import keras_zoo.layers  # noqa: F401  (registers the zoo's layers with Keras)
            except ImportError:  # a Keras the zoo cannot use: its own import says so later
                pass

        spec.loader.exec_module = exec_module
        return spec
