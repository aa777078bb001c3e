"""SubSpectral Normalization: batch norm with separate statistics for each frequency sub-band."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class SubSpectralNorm(keras.layers.BatchNormalization):
    """Batch normalization of `(batch, frequency, time, channels)` maps, one set of statistics per sub-band.

    The frequency axis is cut into `sub_bands` equal, contiguous bands; each (band, channel) pair
    gets its own batch mean and variance, moving averages, and scale and offset, so low and high
    frequencies are not forced to share one normalisation (Chang et al. 2021,
    https://arxiv.org/abs/2103.13620; used in BC-ResNet, Kim et al. 2021,
    https://arxiv.org/abs/2106.04140). With `sub_bands=1` it is plain `BatchNormalization`.

    It is a `BatchNormalization` (a subclass), so it behaves as one: inference mode when frozen
    (`trainable=False`), and `zoo.transfer.freeze_backbone` keeps it frozen like the other batch
    norms. Internally the map is regrouped to `(batch, frequency // sub_bands, time,
    sub_bands * channels)`, normalised over the last axis, and put back.

    Args:
        sub_bands: the number of frequency sub-bands; must divide the frequency axis (5 in BC-ResNet).
        **kwargs (Any): any `BatchNormalization` argument (`momentum`, `epsilon`, ...) except `axis`,
            which is the channels (last) axis.

    Example:
        >>> x = keras.Input((20, 98, 16))  # (frequency, time, channels)
        >>> y = SubSpectralNorm(5)(x)      # 5 bands of 4 frequency bins, 5 * 16 means and variances
    """

    def __init__(self, sub_bands: int = 5, **kwargs):
        axis = kwargs.pop("axis", -1)
        if axis not in (-1, 3):
            raise ValueError(
                "SubSpectralNorm normalises (batch, frequency, time, channels) maps over the channels "
                f"(last) axis. Received: axis={axis!r}"
            )
        if isinstance(sub_bands, bool) or not isinstance(sub_bands, int) or sub_bands < 1:
            raise ValueError(f"sub_bands must be a positive int. Received: sub_bands={sub_bands!r}")
        super().__init__(axis=-1, **kwargs)
        self.sub_bands = sub_bands

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "SubSpectralNorm takes (batch, frequency, time, channels) maps. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        frequency, channels = input_shape[1], input_shape[-1]
        if frequency is None or channels is None or frequency % self.sub_bands:
            raise ValueError(
                f"The frequency axis must be a known multiple of sub_bands={self.sub_bands}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        super().build((input_shape[0], frequency // self.sub_bands, input_shape[2], self.sub_bands * channels))
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={1: frequency, -1: channels})

    def call(self, inputs, training=None):
        frequency, channels = inputs.shape[1], inputs.shape[-1]
        batch, time = ops.shape(inputs)[0], ops.shape(inputs)[2]
        bands, width = self.sub_bands, frequency // self.sub_bands
        # (b, f, t, c) -> (b, bands, width, t, c) -> (b, width, t, bands, c) -> (b, width, t, bands * c)
        x = ops.reshape(inputs, (batch, bands, width, time, channels))
        x = ops.transpose(x, (0, 2, 3, 1, 4))
        x = ops.reshape(x, (batch, width, time, bands * channels))
        x = super().call(x, training=training)
        x = ops.reshape(x, (batch, width, time, bands, channels))
        x = ops.transpose(x, (0, 3, 1, 2, 4))
        return ops.reshape(x, (batch, frequency, time, channels))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "sub_bands": self.sub_bands}
