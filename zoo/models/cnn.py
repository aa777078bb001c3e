"""Plain convolutional networks: stages of convolutions, each followed by max pooling.

The VGG recipe (Simonyan and Zisserman 2015) at small sizes: the first thing to try on small
images, and the reference point that a ResNet must beat.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import (
    ACTIVATIONS,
    HeadConfig,
    check_choice,
    check_positive,
    check_positive_ints,
    check_range,
)
from keras_zoo.registry import Family, register_model

POOLINGS = ("avg", "max", "flatten")


@dataclass
class CNNConfig(HeadConfig):
    stage_widths: tuple[int, ...] = (32, 64)  # filters of each stage; each stage halves the resolution
    convs_per_stage: int = 1  # 3x3 convolutions before each 2x2 max pooling
    kernel_size: int = 3
    activation: str = "relu"  # one of ACTIVATIONS
    batch_norm: bool = False  # between each convolution and its activation
    dropout: float = 0.0  # after each stage's pooling (spatial features)
    pooling: str = "avg"  # how the last feature map becomes a vector: "avg", "max" or "flatten"
    dense_units: tuple[int, ...] = ()  # hidden dense layers before the head

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive_ints("stage_widths", self.stage_widths)
        check_positive("convs_per_stage", self.convs_per_stage)
        check_positive("kernel_size", self.kernel_size)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("pooling", self.pooling, POOLINGS)
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_positive_ints("dense_units", self.dense_units, allow_empty=True)


def check_cnn_input(config: CNNConfig, input_shape: tuple[int, ...]) -> None:
    smallest = 2 ** len(config.stage_widths)
    if min(input_shape[:2]) < smallest:
        raise ValueError(
            f"This CNN has {len(config.stage_widths)} stages that each halve the resolution: height and "
            f"width must be at least {smallest}. Received: input_shape={input_shape}"
        )


def build_cnn(config: CNNConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import BatchNormalization, classification_head

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    for s, width in enumerate(config.stage_widths, start=1):
        for c in range(1, config.convs_per_stage + 1):
            prefix = f"stage{s}_conv{c}"
            x = keras.layers.Conv2D(
                width, config.kernel_size, padding="same", use_bias=not config.batch_norm, name=prefix
            )(x)
            if config.batch_norm:
                x = BatchNormalization(name=f"{prefix}_bn")(x)
            x = keras.layers.Activation(config.activation, name=f"{prefix}_{config.activation}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"stage{s}_pool")(x)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"stage{s}_dropout")(x)
    pool = {
        "avg": keras.layers.GlobalAveragePooling2D,
        "max": keras.layers.GlobalMaxPooling2D,
        "flatten": keras.layers.Flatten,
    }[config.pooling]
    x = pool(name=f"{config.pooling}_pool")(x)
    for i, units in enumerate(config.dense_units):
        x = keras.layers.Dense(units, activation=config.activation, name=f"dense_{i}")(x)
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


def cnn_search_space(hp, config: CNNConfig) -> dict:
    width = hp.Choice("base_width", [16, 32, 64])
    stages = hp.Int("stages", 2, max(2, len(config.stage_widths)))
    return {
        "stage_widths": tuple(width * 2**i for i in range(stages)),
        "convs_per_stage": hp.Int("convs_per_stage", 1, 2),
        "batch_norm": hp.Boolean("batch_norm"),
        "dropout": hp.Float("dropout", 0.0, 0.4, step=0.1),
        "pooling": hp.Choice("pooling", list(POOLINGS)),
    }


CNN = Family(
    "cnn",
    config_class=CNNConfig,
    build=build_cnn,
    search_space=cnn_search_space,
    check_input=check_cnn_input,
    description="plain convolutional nets (VGG-style stages)",
)

_VGG = "Simonyan and Zisserman 2015, https://arxiv.org/abs/1409.1556"


@register_model(CNN, domains=("vision",), input_kind="image", input_shape=(32, 32, 3),
                num_classes=10, params=20_042, reference=_VGG)
def cnn_small():
    """Two stages (32, 64 filters), one 3x3 convolution each: small images in seconds."""
    return CNNConfig(stage_widths=(32, 64), convs_per_stage=1)


@register_model(CNN, domains=("vision",), input_kind="image", input_shape=(32, 32, 3),
                num_classes=10, params=306_154, reference=_VGG)
def cnn_base():
    """Three stages (32, 64, 128 filters) of two 3x3 convolutions with batch norm, dropout 0.25."""
    return CNNConfig(stage_widths=(32, 64, 128), convs_per_stage=2, batch_norm=True, dropout=0.25,
                     dense_units=(128,), head_dropout=0.25)
