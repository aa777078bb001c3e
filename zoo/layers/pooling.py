"""Averaging a padded sequence over its real steps only."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class MaskedMean(keras.layers.Layer):
    """The mean over the steps the mask keeps: `(batch, steps, dim) -> (batch, dim)`.

    Like `GlobalAveragePooling1D` with a mask, except that a sequence with no step kept (a text of
    punctuation only, which the vectoriser turns into padding) gives zeros instead of 0 / 0 = NaN,
    which would poison a whole training batch.

    Example:
        >>> x = keras.layers.Embedding(100, 8, mask_zero=True)(keras.Input((20,), dtype="int32"))
        >>> MaskedMean()(x)  # (None, 8)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        return ops.sum(inputs * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
