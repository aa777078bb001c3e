"""Loading saved zoo models."""

from __future__ import annotations

import os


def load_model(path: str | os.PathLike):
    """Load a `.keras` file saved from a zoo model, in Keras safe mode (no code is deserialised).

    Plain `keras.saving.load_model` works too once `zoo.layers` has been imported; `import zoo`
    alone does not import Keras, so it cannot register the zoo's custom layers by itself.

    Example:
        >>> zoo.create_model("resnet20").save("resnet20.keras")
        >>> model = zoo.load_model("resnet20.keras")
    """
    import keras

    import zoo.layers  # noqa: F401  (registers the custom layers under package "zoo")

    return keras.saving.load_model(path, safe_mode=True)
