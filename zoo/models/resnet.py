"""Residual networks: v1 (He et al. 2015) and pre-activation v2 (He et al. 2016), 1-D and 2-D.

One builder, `build_resnet`, makes every variant from a `ResNetConfig`: basic or bottleneck
blocks, the ImageNet layout (18/34/50: a 7-wide strided stem and max-pool, four stages) or the
CIFAR layout (20/32/56: a 3-wide stem, three stages of 16/32/64 channels), and a 1-D twin of each
for raw audio and time series (the same blocks with Conv1D and MaxPooling1D).

Example:
    >>> model = zoo.create_model("resnet20", num_classes=10, input_shape=(32, 32, 3))
    >>> model = zoo.create_model("resnet18", stage_widths=(32, 64, 128, 256), pooling="max")
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import HeadConfig, check_choice, check_positive_ints
from keras_zoo.registry import Family, register_model

VERSIONS = (1, 2)
BLOCKS = ("basic", "bottleneck")
STEMS = ("imagenet", "cifar")
SHORTCUTS = ("projection", "zero_pad")
DIMS = (1, 2)
POOLINGS = ("avg", "max")

STEM_DOWNSAMPLING = {"imagenet": 4, "cifar": 1}  # each later stage halves the resolution again


@dataclass
class ResNetConfig(HeadConfig):
    """The defaults are ResNet-50 v1 as in keras.applications.ResNet50."""

    version: int = 1  # 1: post-activation (He et al. 2015); 2: pre-activation (He et al. 2016)
    block: str = "bottleneck"  # "basic" (two 3-wide convs) or "bottleneck" (1-3-1, output 4x wide)
    # Residual blocks per stage; every stage after the first halves the resolution.
    stage_blocks: tuple[int, ...] = (3, 4, 6, 3)
    # Channels per stage (a bottleneck outputs 4x as many); the stem has stage_widths[0].
    stage_widths: tuple[int, ...] = (64, 128, 256, 512)
    # "imagenet": 7-wide conv stride 2 + 3-wide max-pool stride 2; "cifar": one 3-wide conv stride 1.
    stem: str = "imagenet"
    # When a block changes shape: "projection" (1x1 conv, option B) or "zero_pad" (option A, no parameters).
    shortcut: str = "projection"
    # keras.applications keeps a bias on every conv (v1) even where a batch norm follows, whose beta makes
    # it redundant: that is why its ResNet50 has 25,636,712 parameters and torchvision's 25,557,032 (26,560
    # conv biases; the other 53,120 are batch-norm moving statistics, which Keras counts and PyTorch keeps
    # as buffers). False drops every conv bias: 25,557,032 trainable parameters, as torchvision.
    conv_bias: bool = True
    dims: int = 2  # 2: images (height, width, channels); 1: sequences (steps, channels) with Conv1D
    pooling: str = "avg"  # global pooling before the head: "avg" or "max"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int_choice("version", self.version, VERSIONS)
        check_choice("block", self.block, BLOCKS)
        check_positive_ints("stage_blocks", self.stage_blocks)
        check_positive_ints("stage_widths", self.stage_widths)
        if len(self.stage_widths) != len(self.stage_blocks):
            raise ValueError(
                f"stage_widths must have one width per stage, as many as stage_blocks "
                f"({len(self.stage_blocks)}). Received: stage_widths={self.stage_widths!r}"
            )
        check_choice("stem", self.stem, STEMS)
        check_choice("shortcut", self.shortcut, SHORTCUTS)
        if self.shortcut == "zero_pad" and list(self.stage_widths) != sorted(self.stage_widths):
            raise ValueError(
                "shortcut='zero_pad' can only add channels, so stage_widths must not decrease. "
                f"Received: stage_widths={self.stage_widths!r}"
            )
        if not isinstance(self.conv_bias, bool):
            raise ValueError(f"conv_bias must be True or False. Received: conv_bias={self.conv_bias!r}")
        _check_int_choice("dims", self.dims, DIMS)
        check_choice("pooling", self.pooling, POOLINGS)

    @property
    def downsampling(self) -> int:
        """How many times smaller each spatial side is at the last stage than at the input."""
        return STEM_DOWNSAMPLING[self.stem] * 2 ** (len(self.stage_blocks) - 1)


def build_resnet(config: ResNetConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import batch_norm, classification_head, residual_block, resnet_stem

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = resnet_stem(
        inputs, config.stage_widths[0], stem=config.stem, version=config.version, conv_bias=config.conv_bias
    )
    for stage, (blocks, width) in enumerate(zip(config.stage_blocks, config.stage_widths), start=1):
        for index in range(1, blocks + 1):
            x = residual_block(
                x,
                width,
                block=config.block,
                strides=2 if stage > 1 and index == 1 else 1,
                version=config.version,
                shortcut=config.shortcut,
                conv_bias=config.conv_bias,
                shares_preact=stage == 1 and index == 1,
                name=f"stage{stage}_block{index}",
            )
    if config.version == 2:  # the last block's sum is still un-normalised (He et al. 2016, sec. 4.1)
        x = batch_norm(x, name="post_bn")
        x = keras.layers.Activation("relu", name="post_relu")(x)
    pool = {"avg": "GlobalAveragePooling", "max": "GlobalMaxPooling"}[config.pooling]
    x = getattr(keras.layers, f"{pool}{config.dims}D")(name="pool")(x)
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


def check_resnet_input(config: ResNetConfig, input_shape: tuple[int, ...]) -> None:
    """Refuse, before building, an input of the wrong rank or too small for the downsampling."""
    if len(input_shape) != config.dims + 1:
        expected = "(height, width, channels)" if config.dims == 2 else "(steps, channels)"
        raise ValueError(
            f"A ResNet with dims={config.dims} takes inputs of shape {expected}. Received: input_shape={input_shape}"
        )
    factor = config.downsampling
    if any(side < factor for side in input_shape[:-1]):
        side = "each spatial side" if config.dims == 2 else "the sequence"
        raise ValueError(
            f"A ResNet with the {config.stem} stem and {len(config.stage_blocks)} stages downsamples by "
            f"{factor}: {side} must be at least {factor}. Received: input_shape={input_shape}"
        )


def resnet_search_space(hp, config: ResNetConfig) -> dict:
    multiplier = hp.Choice("width_multiplier", [0.5, 1.0, 2.0])
    return {
        "stage_widths": tuple(max(8, round(w * multiplier)) for w in config.stage_widths),
        "version": hp.Choice("version", [1, 2]),
        "pooling": hp.Choice("pooling", list(POOLINGS)),
        "head_dropout": hp.Float("head_dropout", 0.0, 0.5, step=0.1),
    }


def _check_int_choice(name, value, choices) -> None:
    if isinstance(value, bool):  # True == 1 would pass check_choice
        raise ValueError(f"{name} must be one of {choices}. Received: {name}={value!r}")
    check_choice(name, value, choices)


RESNET = Family(
    "resnet",
    config_class=ResNetConfig,
    build=build_resnet,
    search_space=resnet_search_space,
    check_input=check_resnet_input,
    description="residual networks v1 and v2, basic and bottleneck blocks, 1-D and 2-D",
)

_V1 = "He et al. 2016, https://arxiv.org/abs/1512.03385"
_V2 = "He et al. 2016, https://arxiv.org/abs/1603.05027"
_IMAGENET = dict(domains=("vision",), input_kind="image", input_shape=(224, 224, 3), num_classes=1000)
_CIFAR = dict(domains=("vision",), input_kind="image", input_shape=(32, 32, 3), num_classes=10)
# He et al. 2015, sec. 4.2: 6n+2 layers, three stages of n basic blocks, option A shortcuts and,
# as in the paper's Torch/Caffe code, no conv biases.
_CIFAR_LAYOUT = dict(block="basic", stem="cifar", stage_widths=(16, 32, 64), shortcut="zero_pad", conv_bias=False)


# ImageNet layout (He et al. 2015, table 1). Biases as keras.applications (conv_bias=True).


@register_model(RESNET, **_IMAGENET, params=11_703_912, reference=_V1)
def resnet18():
    """ResNet-18 v1: basic blocks (2, 2, 2, 2), ImageNet layout."""
    return ResNetConfig(block="basic", stage_blocks=(2, 2, 2, 2))


@register_model(RESNET, **_IMAGENET, params=21_823_208, reference=_V1)
def resnet34():
    """ResNet-34 v1: basic blocks (3, 4, 6, 3), ImageNet layout."""
    return ResNetConfig(block="basic", stage_blocks=(3, 4, 6, 3))


@register_model(RESNET, **_IMAGENET, params=25_636_712, reference=_V1)
def resnet50():
    """ResNet-50 v1: bottleneck blocks (3, 4, 6, 3), as keras.applications.ResNet50."""
    return ResNetConfig(block="bottleneck", stage_blocks=(3, 4, 6, 3))


@register_model(RESNET, **_IMAGENET, params=11_698_408, reference=_V2)
def resnet18_v2():
    """ResNet-18 v2: pre-activation basic blocks (2, 2, 2, 2), ImageNet layout."""
    return ResNetConfig(version=2, block="basic", stage_blocks=(2, 2, 2, 2))


@register_model(RESNET, **_IMAGENET, params=25_613_800, reference=_V2)
def resnet50_v2():
    """ResNet-50 v2: pre-activation bottleneck blocks (3, 4, 6, 3), as keras.applications.ResNet50V2."""
    return ResNetConfig(version=2, block="bottleneck", stage_blocks=(3, 4, 6, 3))


# CIFAR layout (He et al. 2015, sec. 4.2).


@register_model(RESNET, **_CIFAR, params=271_098, reference=_V1)
def resnet20():
    """ResNet-20 for 32x32 images: 3 stages of 3 basic blocks (16/32/64); 0.27M parameters in the paper."""
    return ResNetConfig(stage_blocks=(3, 3, 3), **_CIFAR_LAYOUT)


@register_model(RESNET, **_CIFAR, params=466_426, reference=_V1)
def resnet32():
    """ResNet-32 for 32x32 images: 3 stages of 5 basic blocks (16/32/64); 0.46M parameters in the paper."""
    return ResNetConfig(stage_blocks=(5, 5, 5), **_CIFAR_LAYOUT)


@register_model(RESNET, **_CIFAR, params=857_082, reference=_V1)
def resnet56():
    """ResNet-56 for 32x32 images: 3 stages of 9 basic blocks (16/32/64); 0.85M parameters in the paper."""
    return ResNetConfig(stage_blocks=(9, 9, 9), **_CIFAR_LAYOUT)


@register_model(RESNET, **_CIFAR, params=271_098, reference=_V2)
def resnet20_v2():
    """ResNet-20 v2 for 32x32 images: pre-activation basic blocks, 3 stages of 3 (16/32/64)."""
    return ResNetConfig(version=2, stage_blocks=(3, 3, 3), **_CIFAR_LAYOUT)


# 1-D twins: the same blocks with Conv1D, for raw audio and windows of series features.


@register_model(RESNET, domains=("speech",), input_kind="sequence", input_shape=(16000, 1), num_classes=12,
                params=3_864_460, reference=_V1)
def resnet18_1d():
    """1-D ResNet-18 v1 on raw 16 kHz audio (one second, mono): ImageNet layout with Conv1D."""
    return ResNetConfig(block="basic", stage_blocks=(2, 2, 2, 2), dims=1)


@register_model(RESNET, domains=("speech", "finance"), input_kind="sequence", input_shape=(128, 5), num_classes=2,
                params=92_210, reference=_V1)
def resnet20_1d():
    """1-D ResNet-20 v1 on windows of series features (128 steps x 5): CIFAR layout with Conv1D."""
    return ResNetConfig(stage_blocks=(3, 3, 3), dims=1, **_CIFAR_LAYOUT)
