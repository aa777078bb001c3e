"""The class token of BERT and ViT: a learned vector prepended to the sequence, read out at the end."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class ClassToken(keras.layers.Layer):
    """Prepends one learned token to a sequence: `(batch, n, dim) -> (batch, n + 1, dim)`.

    A padding mask, if the input has one, grows by one `True` in front: the token is never padding.
    Dosovitskiy et al. 2021, https://arxiv.org/abs/2010.11929

    Args:
        initializer (str | keras.initializers.Initializer): of the token; the original ViT uses zeros.

    Example:
        >>> x = ClassToken()(keras.Input((196, 192)))  # (None, 197, 192)
        >>> features = ExtractClassToken()(encoder(x))  # (None, 192)
    """

    def __init__(self, initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.initializer = initializer

    def build(self, input_shape):
        self.token = self.add_weight(
            shape=(1, 1, input_shape[-1]), initializer=keras.initializers.get(self.initializer), name="token"
        )

    def call(self, inputs):
        token = ops.broadcast_to(ops.cast(self.token, inputs.dtype), (ops.shape(inputs)[0], 1, inputs.shape[-1]))
        return ops.concatenate([token, inputs], axis=1)

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None:
            return None
        first = ops.ones_like(previous_mask[:, :1], dtype="bool")
        return ops.concatenate([first, ops.cast(previous_mask, "bool")], axis=1)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], length, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        initializer = self.initializer
        if not isinstance(initializer, (str, dict)):
            initializer = keras.initializers.serialize(keras.initializers.get(initializer))
        config.update(initializer=initializer)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class ExtractClassToken(keras.layers.Layer):
    """Reads out the class token: `(batch, n + 1, dim) -> (batch, dim)`, the first position."""

    def call(self, inputs):
        return inputs[:, 0]

    def compute_mask(self, inputs, previous_mask=None):
        return None  # one vector per example: nothing left to mask

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
