"""The classification (or regression) head every registry model ends with."""

from __future__ import annotations

import keras


def classification_head(x, num_classes: int, *, activation: str | None = "softmax", dropout: float = 0.0):
    """Dropout, then a dense layer named `head`, then the output activation named `predictions`.

    The names are a contract: `zoo.transfer` replaces the layer named `head`, and the input of
    `head` is the model's feature vector.

    Args:
        x (KerasTensor): the pooled features, shape `(batch, features)`.
        num_classes: units of the dense layer.
        activation: `"softmax"`, `"sigmoid"`, or `None` for logits / a regression value.
        dropout: rate of the dropout before the dense layer; 0 adds no layer.
    """
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Dense(num_classes, name="head")(x)
    if activation is not None:
        # float32 output keeps softmax stable under a mixed-precision policy.
        x = keras.layers.Activation(activation, dtype="float32", name="predictions")(x)
    return x
