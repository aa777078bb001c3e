"""Temporal convolutional networks (Bai, Kolter and Koltun 2018) on `(steps, features)` series.

A stack of residual blocks, one per entry of `dilations`. Each block holds two causal dilated
convolutions (`padding="causal"`: step t sees only steps <= t), each followed by a normalisation,
the activation and a spatial dropout; a 1x1 convolution projects the shortcut where the number of
channels changes (the first block, when `features != filters`); the block adds the two and
applies the activation again. The blocks' layers are named `block_1_...`, `block_2_...`, so that
`zoo.transfer.freeze_backbone(model, trainable_top_blocks=n)` unfreezes the top n blocks.

Every layer is causal, so the features at step t depend only on the inputs at steps <= t. With
`pooling="last"` the head reads the last step's features: the causal summary of the window, the
prediction for the step after it (with `num_classes=1, classifier_activation=None`, a value).

The output at a step sees `receptive_field(config) = 1 + 2 * (kernel_size - 1) * sum(dilations)`
input steps (two convolutions per block). A window shorter than that is allowed (the causal
padding supplies zeros), but the top dilations then see mostly padding: choose the dilations so
that the receptive field covers the window (`tcn_small`: 61 steps; `tcn_base`: 125).

Example:
    >>> model = zoo.create_model("tcn_small", num_classes=1, classifier_activation=None)  # a value
    >>> model = zoo.create_model("tcn_base", input_shape=(256, 5), dilations=(1, 2, 4, 8, 16, 32))
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import ACTIVATIONS, HeadConfig, check_choice, check_positive, check_positive_ints, check_range
from keras_zoo.registry import Family, register_model

NORMS = ("layer", "none")
POOLINGS = ("last", "average")


@dataclass
class TCNConfig(HeadConfig):
    filters: int = 32  # channels of every convolution (the paper's hidden units)
    kernel_size: int = 3  # width of each causal convolution, at least 2
    dilations: tuple[int, ...] = (1, 2, 4, 8)  # one residual block per entry; the paper doubles them
    dropout: float = 0.1  # spatial dropout (whole channels, as in the paper) after every convolution
    # After every convolution: "layer" (layer normalisation over the channels of each step, causal)
    # or "none". The paper uses weight normalisation, which Keras has no built-in layer for; layer
    # normalisation plays the same role (stable training of deep stacks) with stock layers only.
    norm: str = "layer"
    activation: str = "relu"  # after every normalisation and after each residual sum
    # "last": the last step's features (the causal prediction for the next step); "average": the
    # mean over the steps (every step's features, each from its own causal window).
    pooling: str = "last"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("filters", self.filters)
        check_positive("kernel_size", self.kernel_size)
        if self.kernel_size < 2:
            raise ValueError(
                "kernel_size must be at least 2: a causal convolution 1 wide sees one step, whatever its "
                f"dilation. Received: kernel_size={self.kernel_size!r}"
            )
        check_positive_ints("dilations", self.dilations)
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_choice("norm", self.norm, NORMS)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("pooling", self.pooling, POOLINGS)


def receptive_field(config: TCNConfig) -> int:
    """How many input steps the features at one step see: `1 + 2 * (kernel_size - 1) * sum(dilations)`.

    Each block has two causal convolutions, and a convolution `kernel_size` wide with dilation d
    reaches `(kernel_size - 1) * d` steps further back. The output at step t depends on the
    inputs at steps `t - receptive_field + 1` to t, and on no others.

    Example:
        >>> receptive_field(TCNConfig(kernel_size=3, dilations=(1, 2, 4, 8)))
        61
    """
    return 1 + 2 * (config.kernel_size - 1) * sum(config.dilations)


def check_tcn_input(config: TCNConfig, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 2:
        raise ValueError(f"A TCN takes (steps, features) series. Received: input_shape={input_shape}")


def build_tcn(config: TCNConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import classification_head

    check_tcn_input(config, input_shape)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    for index, dilation in enumerate(config.dilations, start=1):
        x = _residual_block(keras, x, config, dilation, name=f"block_{index}")
    if config.pooling == "last":
        steps = input_shape[0]
        x = keras.layers.Cropping1D((steps - 1, 0), name="last_step")(x)  # (batch, 1, filters)
        x = keras.layers.Flatten(name="pool")(x)
    else:
        x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


def _residual_block(keras, x, config: TCNConfig, dilation: int, *, name: str):
    """Two causal dilated convolutions (norm, activation, dropout each), plus the shortcut."""
    shortcut = x
    for i in (1, 2):
        x = keras.layers.Conv1D(
            config.filters, config.kernel_size, padding="causal", dilation_rate=dilation, name=f"{name}_conv{i}"
        )(x)
        if config.norm == "layer":
            x = keras.layers.LayerNormalization(name=f"{name}_norm{i}")(x)
        x = keras.layers.Activation(config.activation, name=f"{name}_act{i}")(x)
        if config.dropout:
            x = keras.layers.SpatialDropout1D(config.dropout, name=f"{name}_dropout{i}")(x)
    if shortcut.shape[-1] != config.filters:
        shortcut = keras.layers.Conv1D(config.filters, 1, name=f"{name}_shortcut")(shortcut)
    x = keras.layers.Add(name=f"{name}_add")([x, shortcut])
    return keras.layers.Activation(config.activation, name=f"{name}_out")(x)


def tcn_search_space(hp, config: TCNConfig) -> dict:
    levels = hp.Int("levels", 2, 6)  # dilations 1, 2, 4, ... 2**(levels - 1)
    return {
        "filters": hp.Choice("filters", [16, 32, 64, 128]),
        "kernel_size": hp.Choice("kernel_size", [2, 3, 5]),
        "dilations": tuple(2**i for i in range(levels)),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
    }


TCN = Family(
    "tcn",
    config_class=TCNConfig,
    build=build_tcn,
    search_space=tcn_search_space,
    check_input=check_tcn_input,
    description="temporal convolutional network: residual blocks of causal dilated Conv1D on series",
)

_BAI = "Bai, Kolter and Koltun 2018, https://arxiv.org/abs/1803.01271"
_SERIES = dict(domains=("finance",), input_kind="sequence", input_shape=(64, 8), num_classes=2, reference=_BAI)


@register_model(TCN, **_SERIES, params=23_394)
def tcn_small():
    """TCN of 4 residual blocks, 32 channels, dilations 1-8: a 61-step receptive field on series windows."""
    return TCNConfig(filters=32, dilations=(1, 2, 4, 8))


@register_model(TCN, **_SERIES, params=114_754)
def tcn_base():
    """TCN of 5 residual blocks, 64 channels, dilations 1-16: a 125-step receptive field on series windows."""
    return TCNConfig(filters=64, dilations=(1, 2, 4, 8, 16))
