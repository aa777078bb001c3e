"""The parameter-free "option A" shortcut of He et al. 2015: subsample, then zero-pad the channels."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="zoo")
class ZeroPadShortcut(keras.layers.Layer):
    """A residual shortcut with no weights: strided subsampling, then zeros as extra channels.

    Option A of He et al. 2015 (https://arxiv.org/abs/1512.03385, sec. 3.3 and 4.2): when a
    residual block halves the resolution and widens the channels, the shortcut keeps every
    `strides`-th position on each spatial axis and appends `channels - input channels` zero
    channels. Works on 1-D `(batch, steps, channels)` and 2-D `(batch, height, width, channels)`
    inputs. A layer rather than a `Lambda`, so that models holding it load in safe mode.

    Args:
        channels: the number of output channels; at least the number of input channels.
        strides: keep every `strides`-th position on each spatial axis (1 keeps them all).

    Example:
        >>> x = keras.ops.ones((1, 8, 8, 16))
        >>> ZeroPadShortcut(channels=32, strides=2)(x).shape
        (1, 4, 4, 32)
    """

    def __init__(self, channels: int, strides: int = 1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels must be a positive int. Received: channels={channels!r}")
        if isinstance(strides, bool) or not isinstance(strides, int) or strides < 1:
            raise ValueError(f"strides must be a positive int. Received: strides={strides!r}")
        self.channels = channels
        self.strides = strides

    def build(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(
                f"ZeroPadShortcut takes (batch, steps, channels) or (batch, height, width, channels) "
                f"inputs. Received: input_shape={tuple(input_shape)}"
            )
        if input_shape[-1] is None or input_shape[-1] > self.channels:
            raise ValueError(
                f"ZeroPadShortcut can only add channels: channels={self.channels} must be at least the "
                f"input's. Received: input_shape={tuple(input_shape)}"
            )
        super().build(input_shape)

    def call(self, inputs):
        x = inputs
        spatial = len(x.shape) - 2
        if self.strides > 1:
            x = x[(slice(None),) + (slice(None, None, self.strides),) * spatial]
        extra = self.channels - x.shape[-1]
        if extra:
            x = keras.ops.pad(x, [[0, 0]] * (spatial + 1) + [[0, extra]])
        return x

    def compute_output_shape(self, input_shape):
        spatial = [None if d is None else -(-d // self.strides) for d in input_shape[1:-1]]
        return (input_shape[0], *spatial, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "strides": self.strides}
