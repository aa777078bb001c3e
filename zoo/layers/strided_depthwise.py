"""`zoo.layers.DepthwiseConv2D`: Keras' depthwise convolution, with unequal strides on every CPU."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="zoo")
class DepthwiseConv2D(keras.layers.DepthwiseConv2D):
    """A `keras.layers.DepthwiseConv2D` that also runs unequal strides, as BC-ResNet's `(2, 1)`.

    TensorFlow's own depthwise kernel takes only equal strides ("Current implementation only
    supports equal length strides", tensorflow/tensorflow#33005); its oneDNN kernel takes any, but
    oneDNN is on by default only on some Intel CPUs, so a model that ran on one machine failed on
    an AMD or ARM one. Here an unequal stride runs as the convolution at stride 1 followed by every
    `stride`-th row and column, starting where the strided windows start under the layer's padding:
    the same outputs and gradients, on every CPU. Equal strides are Keras' layer itself.

    It keeps Keras' class name, weights and configuration, so weights move between the two.
    """

    def call(self, inputs):
        strides = tuple(self.strides)
        spatial = inputs.shape[1:3] if self.data_format == "channels_last" else inputs.shape[2:4]
        if len(set(strides)) == 1 or None in spatial:
            return super().call(inputs)
        x = keras.ops.depthwise_conv(inputs, self.kernel, strides=1, padding=self.padding,
                                     dilation_rate=self.dilation_rate, data_format=self.data_format)
        index = [slice(None)] * 4
        first = 1 if self.data_format == "channels_last" else 2
        for axis, (n, k, s) in enumerate(zip(spatial, self.kernel_size, strides)):
            start, count = _strided_positions(n, k, s, self.padding)
            index[first + axis] = slice(start, start + s * (count - 1) + 1, s)
        x = x[tuple(index)]
        if self.use_bias:
            shape = (1, 1, 1, -1) if self.data_format == "channels_last" else (1, -1, 1, 1)
            x = x + keras.ops.reshape(self.bias, shape)
        return self.activation(x) if self.activation is not None else x


def _strided_positions(n: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """`(first, count)`: which outputs of the stride-1 convolution the strided one keeps.

    With "same" padding TensorFlow pads `max((out - 1) * stride + kernel - n, 0)` in all, the
    smaller half before; the stride-1 convolution pads `(kernel - 1) // 2` before. Output `i` of
    the strided convolution is output `i * stride + first` of the stride-1 one.
    """
    if padding == "valid":
        return 0, (n - kernel) // stride + 1
    count = -(-n // stride)
    before = max((count - 1) * stride + kernel - n, 0) // 2
    return (kernel - 1) // 2 - before, count
