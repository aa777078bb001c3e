"""Residual blocks and stems of ResNet v1 (He et al. 2015) and v2 (He et al. 2016), 1-D or 2-D.

Functions on Keras tensors, for functional models. The number of spatial axes (1 for sequences,
2 for images) is read from the input's rank, so the same code builds both.

Biases follow keras.applications when `conv_bias=True`: v1 keeps one on every convolution (each
followed by a batch norm, whose beta makes it redundant); v2 keeps one only on the convolutions
that no batch norm directly follows (the stem, the last convolution of a block, the projection).
`conv_bias=False` drops them all, as torchvision does.
"""

from __future__ import annotations

import keras

from keras_zoo.layers.fused_norm import BatchNormalization
from keras_zoo.layers.shortcut import ZeroPadShortcut

BN_EPSILON = 1.001e-5  # as keras.applications' ResNets, so their weights carry over unchanged
BOTTLENECK_EXPANSION = 4  # a bottleneck block outputs 4x its width (He et al. 2015, table 1)


def resnet_stem(
    x, filters: int, *, stem: str = "imagenet", version: int = 1, conv_bias: bool = True, name: str = "stem"
):
    """The layers before the first residual stage.

    `"imagenet"`: a 7-wide convolution with stride 2, then a 3-wide max-pool with stride 2
    (downsamples by 4). `"cifar"`: one 3-wide convolution with stride 1 (He et al. 2015,
    sec. 4.2). In v1 the convolution is followed by batch norm and ReLU; in v2 it is not, since
    the first residual block pre-activates its input.

    Args:
        x (KerasTensor): input tensor, `(batch, steps, channels)` or `(batch, height, width, channels)`.
        filters: output channels of the stem convolution.
        stem: `"imagenet"` or `"cifar"`.
        version: 1 (post-activation) or 2 (pre-activation).
        conv_bias: keep a bias on the convolution (see the module docstring).
        name: prefix of the layer names.
    """
    kernel_size, strides = (7, 2) if stem == "imagenet" else (3, 1)
    x = conv(x, filters, kernel_size, strides=strides, use_bias=conv_bias, name=f"{name}_conv")
    if version == 1:
        x = batch_norm(x, name=f"{name}_bn")
        x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
    if stem == "imagenet":
        x = _layer("ZeroPadding", x)(1, name=f"{name}_pool_pad")(x)
        x = _layer("MaxPooling", x)(3, strides=2, name=f"{name}_pool")(x)
    return x


def residual_block(
    x,
    filters: int,
    *,
    block: str = "basic",
    strides: int = 1,
    version: int = 1,
    shortcut: str = "projection",
    conv_bias: bool = True,
    shares_preact: bool = False,
    name: str = "block",
):
    """One residual block: `out = branch(x) + shortcut(x)`.

    `"basic"`: two 3-wide convolutions of `filters` channels. `"bottleneck"`: 1-wide reduce,
    3-wide, 1-wide expand to `4 * filters` channels. Version 1 (He et al. 2015,
    https://arxiv.org/abs/1512.03385) applies batch norm after each convolution and ReLU after
    the addition; version 2 (He et al. 2016, https://arxiv.org/abs/1603.05027) applies batch
    norm and ReLU before each convolution, leaving the identity path clean. The stride sits on
    the first convolution in v1 (as the paper and keras.applications' ResNet50) and on the
    3-wide one in a v2 bottleneck.

    The shortcut is the identity when the shape is unchanged. Otherwise `"projection"` is a
    strided 1-wide convolution (with batch norm in v1; option B of the paper) and `"zero_pad"` a
    strided subsample padded with zero channels (option A, no parameters). In v2 a non-identity
    shortcut reads the pre-activated input, as keras.applications' ResNetV2 does.

    Args:
        x (KerasTensor): input tensor, `(batch, steps, channels)` or `(batch, height, width, channels)`.
        filters: the block's width (a bottleneck outputs 4x as many channels).
        block: `"basic"` or `"bottleneck"`.
        strides: stride of the block (2 halves each spatial side).
        version: 1 (post-activation) or 2 (pre-activation).
        shortcut: `"projection"` or `"zero_pad"`, used when the shape changes.
        conv_bias: keep biases on the convolutions (see the module docstring).
        shares_preact: v2 only: an identity shortcut also reads the pre-activated input, as the
            paper does for the first block after the stem ("activation right after conv1").
        name: prefix of the layer names, e.g. `"stage2_block1"`.

    Example:
        >>> inputs = keras.Input((32, 32, 16))
        >>> y = residual_block(inputs, 32, strides=2, shortcut="zero_pad", name="stage2_block1")
    """
    out_channels = filters * BOTTLENECK_EXPANSION if block == "bottleneck" else filters
    reshape = strides != 1 or x.shape[-1] != out_channels

    if version == 1:
        y = x
        if block == "basic":
            y = _conv_bn(y, filters, 3, strides=strides, use_bias=conv_bias, name=name, index=1)
            y = _conv_bn(y, filters, 3, use_bias=conv_bias, name=name, index=2, relu=False)
        else:
            y = _conv_bn(y, filters, 1, strides=strides, use_bias=conv_bias, name=name, index=1)
            y = _conv_bn(y, filters, 3, use_bias=conv_bias, name=name, index=2)
            y = _conv_bn(y, out_channels, 1, use_bias=conv_bias, name=name, index=3, relu=False)
        s = x
        if reshape:
            s = _shortcut(x, out_channels, strides, shortcut=shortcut, use_bias=conv_bias, bn=True, name=name)
        y = keras.layers.Add(name=f"{name}_add")([y, s])
        return keras.layers.Activation("relu", name=f"{name}_out")(y)

    preact = batch_norm(x, name=f"{name}_preact_bn")
    preact = keras.layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if block == "basic":
        y = _conv_bn(preact, filters, 3, strides=strides, use_bias=False, name=name, index=1)
        y = conv(y, filters, 3, use_bias=conv_bias, name=f"{name}_conv2")
    else:
        y = _conv_bn(preact, filters, 1, use_bias=False, name=name, index=1)
        y = _conv_bn(y, filters, 3, strides=strides, use_bias=False, name=name, index=2)
        y = conv(y, out_channels, 1, use_bias=conv_bias, name=f"{name}_conv3")
    if reshape:
        s = _shortcut(preact, out_channels, strides, shortcut=shortcut, use_bias=conv_bias, bn=False, name=name)
    else:
        s = preact if shares_preact else x
    return keras.layers.Add(name=f"{name}_add")([y, s])


def conv(x, filters: int, kernel_size: int, *, strides: int = 1, use_bias: bool = True, name: str):
    """A 1-D or 2-D convolution (by the input's rank) that keeps `ceil(size / strides)` positions.

    A strided convolution pads `kernel_size // 2` zeros on every side (as the papers' Torch code
    and keras.applications do), rather than "same" padding's lopsided split.
    """
    padding = "same"
    if strides > 1 and kernel_size > 1:
        x = _layer("ZeroPadding", x)(kernel_size // 2, name=f"{name}_pad")(x)
        padding = "valid"
    return _layer("Conv", x)(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        kernel_initializer="he_normal",  # He et al. 2015b, as the ResNet papers
        name=name,
    )(x)


def batch_norm(x, *, name: str):
    return BatchNormalization(epsilon=BN_EPSILON, name=name)(x)


def _conv_bn(x, filters, kernel_size, *, strides=1, use_bias, name, index, relu=True):
    x = conv(x, filters, kernel_size, strides=strides, use_bias=use_bias, name=f"{name}_conv{index}")
    x = batch_norm(x, name=f"{name}_bn{index}")
    if relu:
        x = keras.layers.Activation("relu", name=f"{name}_relu{index}")(x)
    return x


def _shortcut(x, channels, strides, *, shortcut, use_bias, bn, name):
    if shortcut == "zero_pad":
        return ZeroPadShortcut(channels, strides=strides, name=f"{name}_shortcut")(x)
    x = conv(x, channels, 1, strides=strides, use_bias=use_bias, name=f"{name}_shortcut_conv")
    return batch_norm(x, name=f"{name}_shortcut_bn") if bn else x


def _layer(kind: str, x):
    """`Conv1D` or `Conv2D` (and so on) for a `(batch, *spatial, channels)` tensor."""
    spatial = len(x.shape) - 2
    if spatial not in (1, 2):
        raise ValueError(
            f"Residual layers take (batch, steps, channels) or (batch, height, width, channels) "
            f"tensors. Received: shape={tuple(x.shape)}"
        )
    return getattr(keras.layers, f"{kind}{spatial}D")
