"""Position information for sequence models: a learned embedding and the fixed sinusoidal encoding.

Both layers *add* positions to their input, keep its shape, and pass its padding mask through, so
`x = PositionEmbedding(length)(x)` is one line in a model, as `x = x + pos_embed` is in timm.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding of each position (BERT, ViT).

    Inputs shorter than `sequence_length` use its first rows, so one trained table serves any
    length up to `sequence_length`.

    Args:
        sequence_length: the longest sequence the table covers (ViT-B/16 at 224: 197 = 14*14 + 1).
        initializer (str | keras.initializers.Initializer | None): of the table; `None` is the truncated normal of std 0.02 that timm and BERT use.

    Example:
        >>> x = keras.Input((197, 192))
        >>> y = PositionEmbedding(197)(x)  # same shape, positions added
    """

    def __init__(self, sequence_length: int, initializer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(sequence_length, bool) or not isinstance(sequence_length, int) or sequence_length < 1:
            raise ValueError(f"sequence_length must be a positive int. Received: sequence_length={sequence_length!r}")
        self.sequence_length = sequence_length
        self.initializer = initializer
        self.supports_masking = True

    def build(self, input_shape):
        length = input_shape[-2]
        if length is not None and length > self.sequence_length:
            raise ValueError(
                f"PositionEmbedding covers {self.sequence_length} positions; the input has {length}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        initializer = (
            keras.initializers.TruncatedNormal(stddev=0.02)
            if self.initializer is None
            else keras.initializers.get(self.initializer)
        )
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]), initializer=initializer, name="embeddings"
        )

    def call(self, inputs):
        length = ops.shape(inputs)[-2]
        positions = ops.cast(self.embeddings[:length], inputs.dtype)
        return inputs + positions

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        initializer = self.initializer
        if initializer is not None and not isinstance(initializer, (str, dict)):
            initializer = keras.initializers.serialize(keras.initializers.get(initializer))
        config.update(sequence_length=self.sequence_length, initializer=initializer)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Adds the fixed sine/cosine position encoding of Vaswani et al. 2017 (no weights).

    `PE[pos, 2i] = sin(pos / max_wavelength**(2i/d))`, `PE[pos, 2i+1] = cos(...)`: any length works,
    so the same model takes sequences longer than those it was trained on.
    https://arxiv.org/abs/1706.03762

    Args:
        max_wavelength: the longest wavelength of the encoding (10000 in the paper).

    Example:
        >>> y = SinusoidalPositionEncoding()(keras.Input((None, 64)))
    """

    def __init__(self, max_wavelength: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_wavelength, bool) or not isinstance(max_wavelength, (int, float)) or max_wavelength <= 1:
            raise ValueError(f"max_wavelength must be a number > 1. Received: max_wavelength={max_wavelength!r}")
        self.max_wavelength = float(max_wavelength)
        self.supports_masking = True

    def call(self, inputs):
        length, dim = ops.shape(inputs)[-2], inputs.shape[-1]
        positions = ops.cast(ops.arange(length), "float32")[:, None]
        index = ops.arange(dim)
        exponent = ops.cast(2 * (index // 2), "float32") / float(dim)
        angles = positions / ops.power(self.max_wavelength, exponent)[None, :]
        encoding = ops.where(index % 2 == 0, ops.sin(angles), ops.cos(angles))
        return inputs + ops.cast(encoding, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(max_wavelength=self.max_wavelength)
        return config
