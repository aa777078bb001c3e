"""Keyword-spotting (KWS) networks over spectrogram frames: DS-CNN, BC-ResNet, CRNN and KWT.

Every model takes `(frames, features)`: by default 98 frames of 25 ms every 10 ms over one second
of 16 kHz audio, each frame 40 log-mel energies or MFCCs, and tells which of 20 words was said
(the 20 core words of Speech Commands, Warden 2018, https://arxiv.org/abs/1804.03209). The four
architectures are the small-footprint classics of the Speech Commands benchmark:

- DS-CNN (Zhang et al. 2017, "Hello Edge"): a strided convolution, then depthwise-separable
  blocks (MobileNet's), global average pooling. Built for microcontrollers.
- BC-ResNet (Kim et al. 2021): broadcasted residual blocks. A frequency-wise depthwise
  convolution with SubSpectral Normalization keeps a 2-D branch; its average over frequency goes
  through a cheap 1-D temporal branch (dilated depthwise convolution, swish, 1x1 convolution,
  channel dropout), which is broadcast back over frequency and added. Tiny and accurate.
- CRNN (after Arik et al. 2017): one strided convolution over (time, frequency), its output read
  as a sequence over time by stacked GRUs, a dense layer.
- KWT (Berg et al. 2021): the Keyword Transformer, a ViT whose patches are whole frames: each
  frame linearly projected, a class token, learned positions, a Transformer encoder, the class
  token's output classified.

The four share the family name `kws` (`zoo.list_models(family="kws")`), but each is its own
`Family` record with its own config dataclass, so that `zoo info` shows only the fields that
architecture has. Every model ends with `zoo.layers.classification_head`.

Where these differ from the papers:

- DS-CNN: the paper's input is 49 x 10 MFCCs (40 ms frames every 20 ms); the same layers here see
  98 x 40, about 8x the activations and operations (the parameter count barely changes). Its
  batch norms have a learned scale (gamma), which the original TF-Slim code left out.
- KWT: the encoder blocks are `zoo.layers.transformer_encoder_block`, which is pre-norm (as ViT),
  with a final layer norm; the authors' KWT defaults to post-norm blocks (`--prenorm False`),
  which they found trained better. The attention also has query/key/value biases.
- CRNN: a small version, with sizes taken from the model the paper selects (32 filters of 20 x 5,
  stride 8 x 2, two bidirectional GRU layers of 32 units, a dense layer of 64); it has 145K
  parameters where the paper reports about 230K for its input (PCEN energies over 1.5 s) and
  wake-word task. The batch norm after the convolution is ours.
- BC-ResNet: as the authors' code, except "same" padding of the strided 5 x 5 stem (the same
  output size) and Keras's batch-norm epsilon (1e-3 rather than PyTorch's 1e-5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from keras_zoo.models.base import HeadConfig, check_positive, check_positive_ints, check_range
from keras_zoo.models.transformer import check_encoder_fields
from keras_zoo.registry import Family, register_model

_KWS = dict(domains=("speech",), input_kind="sequence", input_shape=(98, 40), num_classes=20)


def _check_pair(name: str, value) -> None:
    check_positive_ints(name, value)
    if len(value) != 2:
        raise ValueError(f"{name} must be a (frames, features) pair of positive ints. Received: {name}={value!r}")


def _check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False. Received: {name}={value!r}")


def _check_frames(kind: str, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 2:
        raise ValueError(f"A {kind} takes (frames, features) spectrogram frames. Received: input_shape={input_shape}")


def _check_kernel_fits(kind: str, input_shape: tuple[int, ...], kernel: tuple[int, int], what: str,
                       field_name: str) -> None:
    """(frames, features) inputs at least as large as the `kernel` of a convolution without padding."""
    _check_frames(kind, input_shape)
    (frames, features), (k_frames, k_features) = input_shape, kernel
    if frames < k_frames or features < k_features:
        raise ValueError(
            f"{what} spans {k_frames} frames x {k_features} features: inputs need at least {k_frames} frames and "
            f"{k_features} features (or set {field_name}). Received: input_shape={input_shape}"
        )


# ---------------------------------------------------------------------------------------------
# DS-CNN: Zhang et al. 2017, "Hello Edge: Keyword Spotting on Microcontrollers"


@dataclass
class DSCNNConfig(HeadConfig):
    filters: int = 64  # of the first convolution and of every pointwise (1x1) convolution
    blocks: int = 4  # depthwise-separable blocks (3x3 depthwise + BN + ReLU, 1x1 pointwise + BN + ReLU)
    stem_kernel: tuple[int, int] = (10, 4)  # (frames, features) of the first, regular convolution
    stem_strides: tuple[int, int] = (2, 2)  # (frames, features) of the first convolution
    first_block_strides: tuple[int, int] = (1, 1)  # of the first depthwise convolution; (2, 2) in DS-CNN-M
    bn_momentum: float = 0.96  # of the batch norms' moving statistics, as in the paper's TensorFlow code

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("filters", self.filters)
        check_positive("blocks", self.blocks)
        _check_pair("stem_kernel", self.stem_kernel)
        _check_pair("stem_strides", self.stem_strides)
        _check_pair("first_block_strides", self.first_block_strides)
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0, high_open=True)


def check_ds_cnn_input(config: DSCNNConfig, input_shape: tuple[int, ...]) -> None:
    _check_kernel_fits("DS-CNN", input_shape, config.stem_kernel, "The first convolution", "stem_kernel")


def build_ds_cnn(config: DSCNNConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import BatchNormalization, classification_head

    check_ds_cnn_input(config, input_shape)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Reshape((*input_shape, 1), name="add_channel_axis")(inputs)  # (frames, features, 1)
    x = keras.layers.Conv2D(config.filters, config.stem_kernel, strides=config.stem_strides, padding="same",
                            name="stem_conv")(x)
    x = BatchNormalization(momentum=config.bn_momentum, name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    for i in range(1, config.blocks + 1):
        strides = config.first_block_strides if i == 1 else (1, 1)
        x = keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", name=f"block_{i}_depthwise")(x)
        x = BatchNormalization(momentum=config.bn_momentum, name=f"block_{i}_depthwise_bn")(x)
        x = keras.layers.Activation("relu", name=f"block_{i}_depthwise_relu")(x)
        x = keras.layers.Conv2D(config.filters, 1, name=f"block_{i}_pointwise")(x)
        x = BatchNormalization(momentum=config.bn_momentum, name=f"block_{i}_pointwise_bn")(x)
        x = keras.layers.Activation("relu", name=f"block_{i}_pointwise_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = classification_head(x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout)
    return keras.Model(inputs, outputs, name=name)


def ds_cnn_search_space(hp, config: DSCNNConfig) -> dict:
    return {
        "filters": hp.Choice("filters", [32, 64, 128, 172]),
        "blocks": hp.Int("blocks", 2, 6),
        "head_dropout": hp.Float("head_dropout", 0.0, 0.5, step=0.1),
    }


DS_CNN = Family(
    "kws",
    config_class=DSCNNConfig,
    build=build_ds_cnn,
    search_space=ds_cnn_search_space,
    check_input=check_ds_cnn_input,
    description="Keyword-spotting networks over spectrogram frames: DS-CNN (depthwise-separable CNN)",
)

_HELLO_EDGE = "Zhang et al. 2017, https://arxiv.org/abs/1711.07128"


@register_model(DS_CNN, **_KWS, params=25_428, reference=_HELLO_EDGE)
def ds_cnn_small():
    """DS-CNN-S: a 10x4 convolution (64 filters, stride 2x2), four depthwise-separable blocks of 64, average pooling."""
    return DSCNNConfig(filters=64, blocks=4, stem_strides=(2, 2), first_block_strides=(1, 1))


@register_model(DS_CNN, **_KWS, params=142_608, reference=_HELLO_EDGE)
def ds_cnn_medium():
    """DS-CNN-M: a 10x4 convolution (172 filters, stride 2x1), four depthwise-separable blocks (first stride 2x2)."""
    return DSCNNConfig(filters=172, blocks=4, stem_strides=(2, 1), first_block_strides=(2, 2))


# ---------------------------------------------------------------------------------------------
# BC-ResNet: Kim et al. 2021, "Broadcasted Residual Learning for Efficient Keyword Spotting"

# The layout of the paper's Table 1 (and of the authors' code), in units of base_channels = 8 * tau.
BC_STAGE_BLOCKS = (2, 2, 4, 4)  # BC-ResBlocks per stage
BC_STAGE_WIDTHS = (1.0, 1.5, 2.0, 2.5)  # stage channels / base_channels: 8, 12, 16, 20 (x tau)
BC_FREQUENCY_STRIDES = (1, 2, 2, 1)  # of each stage's first block, on the frequency axis only
BC_DILATIONS = (1, 2, 4, 8)  # of the temporal depthwise convolutions, per stage
BC_STEM_WIDTH = 2.0  # the 5x5 stem convolution: 16 * tau channels
BC_FINAL_WIDTH = 4.0  # the 1x1 convolution before pooling: 32 * tau channels
BC_FINAL_KERNEL = 5  # the last depthwise convolution: 5x5, no padding over frequency


@dataclass
class BCResNetConfig(HeadConfig):
    base_channels: int = 8  # 8 * tau for BC-ResNet-tau; the four stages have 1, 1.5, 2 and 2.5 times this
    sub_bands: int = 5  # frequency sub-bands of every SubSpectralNorm (5 in the paper)
    dropout: float = 0.1  # channel-wise (SpatialDropout2D) at the end of every block's temporal branch
    bn_momentum: float = 0.9  # of the batch norms' moving statistics: PyTorch's default, as in the authors' code

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("base_channels", self.base_channels)
        check_positive("sub_bands", self.sub_bands)
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0, high_open=True)


def bc_resnet_frequency_bins(features: int) -> tuple[int, ...]:
    """Frequency bins after the stem and after each stage (each stride halves them, rounding up)."""
    bins = [math.ceil(features / 2)]  # the stem's stride (2, 1)
    for stride in BC_FREQUENCY_STRIDES:
        bins.append(math.ceil(bins[-1] / stride))
    return tuple(bins)


def check_bc_resnet_input(config: BCResNetConfig, input_shape: tuple[int, ...]) -> None:
    _check_frames("BC-ResNet", input_shape)
    features = input_shape[1]
    bins = bc_resnet_frequency_bins(features)
    s = config.sub_bands
    if any(b % s for b in bins) or bins[-1] < BC_FINAL_KERNEL:
        halved = ", ".join(str(b) for b in sorted(set(bins), reverse=True))
        raise ValueError(
            f"BC-ResNet halves the {features} features three times (to {halved} "
            f"frequency bins): each must split into sub_bands={s} equal sub-bands, and the last must be at "
            f"least {BC_FINAL_KERNEL} wide for the final {BC_FINAL_KERNEL}x{BC_FINAL_KERNEL} convolution, "
            f"e.g. 40 or 80 features (or set sub_bands). Received: input_shape={input_shape}"
        )


def bc_res_block(x, channels: int, *, frequency_stride: int, dilation: int, sub_bands: int, dropout: float,
                 bn_momentum: float = 0.9, name: str = "block"):
    """One BC-ResBlock (Kim et al. 2021, fig. 2) on `(batch, frequency, time, channels)` maps:

        y = SSN(FrequencyDepthwise3x1(x))                            # f2: 2-D, per frequency bin
        z = ChannelDropout(Conv1x1(swish(BN(TimeDepthwise1x3(mean_over_frequency(y))))))  # f1: 1-D
        out = relu(x + y + z)                                        # z broadcast over frequency

    A *transition* block (the first of a stage whose width changes) first maps `x` through a 1x1
    convolution + BN + ReLU to `channels`, and has no identity term `x` in its sum.

    Args:
        x: the input maps.
        channels: output channels.
        frequency_stride: stride of the frequency-wise convolution (2 halves the frequency bins).
        dilation: dilation of the temporal convolution.
        sub_bands: of the SubSpectralNorm; must divide the frequency bins after the stride.
        dropout: rate of the channel-wise dropout (SpatialDropout2D); 0 adds no layer.
        bn_momentum: of the batch norms and the SubSpectralNorm.
        name: prefix of every layer's name.
    """
    import keras

    from keras_zoo.layers import BatchNormalization, DepthwiseConv2D, SubSpectralNorm

    transition = x.shape[-1] != channels
    shortcut = x
    if transition:
        x = keras.layers.Conv2D(channels, 1, use_bias=False, name=f"{name}_transition_conv")(x)
        x = BatchNormalization(momentum=bn_momentum, name=f"{name}_transition_bn")(x)
        x = keras.layers.Activation("relu", name=f"{name}_transition_relu")(x)
    x = DepthwiseConv2D((3, 1), strides=(frequency_stride, 1), padding="same", use_bias=False,  # any CPU's
                        name=f"{name}_frequency_depthwise")(x)
    y = SubSpectralNorm(sub_bands, momentum=bn_momentum, name=f"{name}_ssn")(x)

    z = keras.layers.AveragePooling2D((y.shape[1], 1), name=f"{name}_frequency_mean")(y)  # (batch, 1, time, channels)
    z = keras.layers.DepthwiseConv2D((1, 3), dilation_rate=(1, dilation), padding="same", use_bias=False,
                                     name=f"{name}_time_depthwise")(z)
    z = BatchNormalization(momentum=bn_momentum, name=f"{name}_time_bn")(z)
    z = keras.layers.Activation("swish", name=f"{name}_swish")(z)
    z = keras.layers.Conv2D(channels, 1, use_bias=False, name=f"{name}_pointwise")(z)
    if dropout:
        z = keras.layers.SpatialDropout2D(dropout, name=f"{name}_dropout")(z)

    branches = [y, z] if transition else [shortcut, y, z]  # z (one frequency row) is broadcast over frequency
    x = keras.layers.Add(name=f"{name}_add")(branches)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def build_bc_resnet(config: BCResNetConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    from keras_zoo.layers import BatchNormalization, classification_head

    check_bc_resnet_input(config, input_shape)
    frames, features = input_shape
    base = config.base_channels
    inputs = keras.Input(shape=input_shape, name="inputs")
    # The paper's layout is (frequency, time): transpose our (frames, features) frames, add a channel axis.
    x = keras.layers.Permute((2, 1), name="to_frequency_time")(inputs)
    x = keras.layers.Reshape((features, frames, 1), name="add_channel_axis")(x)
    x = keras.layers.Conv2D(int(base * BC_STEM_WIDTH), 5, strides=(2, 1), padding="same", use_bias=False,
                            name="stem_conv")(x)
    x = BatchNormalization(momentum=config.bn_momentum, name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    for stage, (blocks, width, stride, dilation) in enumerate(
        zip(BC_STAGE_BLOCKS, BC_STAGE_WIDTHS, BC_FREQUENCY_STRIDES, BC_DILATIONS), start=1
    ):
        for block in range(1, blocks + 1):
            x = bc_res_block(x, int(base * width), frequency_stride=stride if block == 1 else 1, dilation=dilation,
                             sub_bands=config.sub_bands, dropout=config.dropout, bn_momentum=config.bn_momentum,
                             name=f"stage{stage}_block{block}")
    # The classifier of the paper: 5x5 depthwise (no padding over frequency), 1x1 conv, mean, 1x1 conv (the head).
    k = BC_FINAL_KERNEL
    x = keras.layers.ZeroPadding2D(((0, 0), (k // 2, k // 2)), name="final_pad")(x)
    x = keras.layers.DepthwiseConv2D(k, use_bias=False, name="final_depthwise")(x)
    x = keras.layers.Conv2D(int(base * BC_FINAL_WIDTH), 1, use_bias=False, name="final_conv")(x)
    x = BatchNormalization(momentum=config.bn_momentum, name="final_bn")(x)
    x = keras.layers.Activation("relu", name="final_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)  # over frequency and time
    outputs = classification_head(x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout)
    return keras.Model(inputs, outputs, name=name)


def bc_resnet_search_space(hp, config: BCResNetConfig) -> dict:
    return {
        "base_channels": 8 * hp.Choice("tau", [1, 2, 3, 6]),
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
    }


BC_RESNET = Family(
    "kws",
    config_class=BCResNetConfig,
    build=build_bc_resnet,
    search_space=bc_resnet_search_space,
    check_input=check_bc_resnet_input,
    description="Keyword-spotting networks over spectrogram frames: BC-ResNet (broadcasted residual learning)",
)

_BC_RESNET = "Kim et al. 2021, https://arxiv.org/abs/2106.04140"


@register_model(BC_RESNET, **_KWS, params=11_912, reference=_BC_RESNET)
def bc_resnet_1():
    """BC-ResNet-1: stages of 8, 12, 16, 20 channels, SubSpectralNorm over 5 sub-bands, channel dropout 0.1.

    9,232 trainable parameters at 12 classes: the paper's 9.2K (which leaves out batch-norm statistics).
    """
    return BCResNetConfig(base_channels=8)


@register_model(BC_RESNET, **_KWS, params=62_192, reference=_BC_RESNET)
def bc_resnet_3():
    """BC-ResNet-3: stages of 24, 36, 48, 60 channels, SubSpectralNorm over 5 sub-bands, channel dropout 0.1.

    54,168 trainable parameters at 12 classes: the paper's 54.2K.
    """
    return BCResNetConfig(base_channels=24)


@register_model(BC_RESNET, **_KWS, params=342_452, reference=_BC_RESNET)
def bc_resnet_8():
    """BC-ResNet-8: stages of 64, 96, 128, 160 channels, SubSpectralNorm over 5 sub-bands, channel dropout 0.1.

    321,068 trainable parameters at 12 classes: the paper's 321K.
    """
    return BCResNetConfig(base_channels=64)


# ---------------------------------------------------------------------------------------------
# CRNN: Arik et al. 2017, "Convolutional Recurrent Neural Networks for Small-Footprint Keyword Spotting"


@dataclass
class CRNNConfig(HeadConfig):
    filters: int = 32  # of the convolution
    kernel_size: tuple[int, int] = (20, 5)  # (frames, features) of the convolution (no padding)
    strides: tuple[int, int] = (8, 2)  # (frames, features): the GRUs see one step per 8 frames
    gru_units: tuple[int, ...] = (32, 32)  # one GRU layer per entry, stacked; units per direction
    bidirectional: bool = True  # read forwards and backwards, concatenate
    dense_units: int = 64  # of the ReLU layer between the GRUs and the head
    dropout: float = 0.0  # after every GRU layer and after the dense layer
    bn_momentum: float = 0.99  # of the batch norm after the convolution (Keras's default)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("filters", self.filters)
        _check_pair("kernel_size", self.kernel_size)
        _check_pair("strides", self.strides)
        check_positive_ints("gru_units", self.gru_units)
        _check_bool("bidirectional", self.bidirectional)
        check_positive("dense_units", self.dense_units)
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0, high_open=True)


def check_crnn_input(config: CRNNConfig, input_shape: tuple[int, ...]) -> None:
    _check_kernel_fits("CRNN", input_shape, config.kernel_size, "The convolution (without padding)", "kernel_size")


def build_crnn(config: CRNNConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    from keras_zoo.layers import BatchNormalization, classification_head

    check_crnn_input(config, input_shape)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Reshape((*input_shape, 1), name="add_channel_axis")(inputs)
    x = keras.layers.Conv2D(config.filters, config.kernel_size, strides=config.strides, use_bias=False,
                            name="conv1")(x)
    x = BatchNormalization(momentum=config.bn_momentum, name="conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    steps, bins, channels = x.shape[1:]
    x = keras.layers.Reshape((steps, bins * channels), name="to_sequence")(x)  # one vector per time step
    for i, units in enumerate(config.gru_units):
        last = i == len(config.gru_units) - 1
        recurrent = keras.layers.GRU(units, return_sequences=not last, name=f"gru_{i}")
        if config.bidirectional:
            recurrent = keras.layers.Bidirectional(recurrent, name=f"bidirectional_gru_{i}")
        x = recurrent(x)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"gru_{i}_dropout")(x)
    x = keras.layers.Dense(config.dense_units, activation="relu", name="dense_1")(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="dense_1_dropout")(x)
    outputs = classification_head(x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout)
    return keras.Model(inputs, outputs, name=name)


def crnn_search_space(hp, config: CRNNConfig) -> dict:
    depth = hp.Int("gru_layers", 1, 2)
    return {
        "filters": hp.Choice("filters", [16, 32, 64]),
        "gru_units": (hp.Choice("gru_units", [32, 64, 128]),) * depth,
        "bidirectional": hp.Boolean("bidirectional"),
        "dense_units": hp.Choice("dense_units", [32, 64, 128]),
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
    }


CRNN = Family(
    "kws",
    config_class=CRNNConfig,
    build=build_crnn,
    search_space=crnn_search_space,
    check_input=check_crnn_input,
    description="Keyword-spotting networks over spectrogram frames: CRNN (convolution + GRUs)",
)


@register_model(CRNN, **_KWS, params=144_724, reference="Arik et al. 2017, https://arxiv.org/abs/1703.05390")
def crnn():
    """A 20x5 convolution (32 filters, stride 8x2), two bidirectional GRU(32) layers, a dense ReLU layer of 64."""
    return CRNNConfig()


# ---------------------------------------------------------------------------------------------
# KWT: Berg et al. 2021, "Keyword Transformer: A Self-Attention Model for Keyword Spotting"


@dataclass
class KWTConfig(HeadConfig):
    dim: int = 64  # token width; every frame (a 1 x features patch) is projected to it
    depth: int = 12  # encoder blocks
    heads: int = 1  # attention heads per block, each dim // heads wide
    mlp_dim: int = 256  # hidden width of each block's MLP
    dropout: float = 0.0  # after the positions, the attention and in the MLPs (0 in the paper)
    attention_dropout: float = 0.0  # on the attention weights
    norm_epsilon: float = 1e-6  # of every layer norm

    def __post_init__(self) -> None:
        super().__post_init__()
        check_encoder_fields(self)  # as the registry's transformers check theirs


def check_kwt_input(config: KWTConfig, input_shape: tuple[int, ...]) -> None:
    _check_frames("Keyword Transformer", input_shape)


def build_kwt(config: KWTConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    from keras_zoo.layers import (
        ClassToken,
        ExtractClassToken,
        PositionEmbedding,
        classification_head,
        transformer_encoder_block,
    )

    check_kwt_input(config, input_shape)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Dense(config.dim, name="frame_projection")(inputs)  # one token per frame
    x = ClassToken(name="class_token")(x)
    x = PositionEmbedding(x.shape[1], name="position_embedding")(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="position_dropout")(x)
    for i in range(config.depth):
        x = transformer_encoder_block(x, heads=config.heads, mlp_dim=config.mlp_dim, dropout=config.dropout,
                                      attention_dropout=config.attention_dropout, epsilon=config.norm_epsilon,
                                      name=f"block_{i}")
    x = keras.layers.LayerNormalization(epsilon=config.norm_epsilon, name="encoder_norm")(x)  # pre-norm blocks need it
    x = ExtractClassToken(name="cls_pool")(x)
    outputs = classification_head(x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout)
    return keras.Model(inputs, outputs, name=name)


def kwt_search_space(hp, config: KWTConfig) -> dict:
    dim = hp.Choice("dim", [64, 128, 192])
    return {
        "dim": dim,
        "depth": hp.Int("depth", 2, 12, step=2),
        "heads": hp.Choice("heads", [1, 2, 4]),  # all divide every dim above
        "mlp_dim": dim * hp.Choice("mlp_ratio", [2, 4]),
        "dropout": hp.Float("dropout", 0.0, 0.2, step=0.1),
    }


KWT = Family(
    "kws",
    config_class=KWTConfig,
    build=build_kwt,
    search_space=kwt_search_space,
    check_input=check_kwt_input,
    description="Keyword-spotting networks over spectrogram frames: KWT (Keyword Transformer)",
)

_KWT = "Berg et al. 2021, https://arxiv.org/abs/2104.00769"


@register_model(KWT, **_KWS, params=610_260, reference=_KWT)
def kwt_1():
    """KWT-1: each frame a token of width 64, class token, 12 pre-norm blocks of 1 head, MLP 256.

    609,740 parameters at 12 classes: the paper's 607K (607,308 in the authors' code) plus the
    query/key/value biases of keras.layers.MultiHeadAttention and the final layer norm.
    """
    return KWTConfig(dim=64, depth=12, heads=1, mlp_dim=256)


@register_model(KWT, **_KWS, params=2_400_148, reference=_KWT)
def kwt_2():
    """KWT-2: each frame a token of width 128, class token, 12 pre-norm blocks of 2 heads, MLP 512."""
    return KWTConfig(dim=128, depth=12, heads=2, mlp_dim=512)


@register_model(KWT, **_KWS, params=5_369_684, reference=_KWT)
def kwt_3():
    """KWT-3: each frame a token of width 192, class token, 12 pre-norm blocks of 3 heads, MLP 768."""
    return KWTConfig(dim=192, depth=12, heads=3, mlp_dim=768)
