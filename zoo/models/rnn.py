"""Recurrent networks: stacked LSTM or GRU layers, optionally bidirectional.

The builder reads the input kind from its rank: `(length,)` token ids go through an embedding
whose index 0 is padding (`mask_zero=True`, so the recurrent layers skip pads); `(steps, features)`
frames (log-mel spectrograms, multivariate series) go straight into the first recurrent layer.
Every layer but the last returns its whole sequence; the last returns its final state (both
directions' when bidirectional), which the head classifies or, with `num_classes=1` and
`classifier_activation=None`, regresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import HeadConfig, check_choice, check_positive, check_positive_ints, check_range
from keras_zoo.registry import Family, register_model

CELLS = ("lstm", "gru")


@dataclass
class RNNConfig(HeadConfig):
    cell: str = "lstm"  # "lstm" (Hochreiter and Schmidhuber 1997) or "gru" (Cho et al. 2014)
    units: tuple[int, ...] = (128,)  # one recurrent layer per entry, stacked; per direction
    bidirectional: bool = False  # read forwards and backwards, concatenate (doubles the features)
    dropout: float = 0.0  # Dropout layer after every recurrent layer
    recurrent_dropout: float = 0.0  # on the recurrent state, inside the cell (disables the cuDNN kernel)
    vocab_size: int = 20000  # token inputs only: ids in [0, vocab_size), 0 is padding
    embedding_dim: int = 128  # token inputs only: width of the token embedding

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("cell", self.cell, CELLS)
        check_positive_ints("units", self.units)
        if not isinstance(self.bidirectional, bool):
            raise ValueError(f"bidirectional must be True or False. Received: bidirectional={self.bidirectional!r}")
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_range("recurrent_dropout", self.recurrent_dropout, 0.0, 1.0, high_open=True)
        check_positive("vocab_size", self.vocab_size)
        check_positive("embedding_dim", self.embedding_dim)


def check_rnn_input(config: RNNConfig, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) not in (1, 2):
        raise ValueError(
            "An RNN takes (length,) token ids or (steps, features) frames. "
            f"Received: input_shape={input_shape}"
        )


def build_rnn(config: RNNConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import classification_head

    check_rnn_input(config, input_shape)
    layer_class = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[config.cell]
    inputs = keras.Input(shape=input_shape, dtype="int32" if len(input_shape) == 1 else "float32", name="inputs")
    x = inputs
    if len(input_shape) == 1:
        x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, mask_zero=True, name="token_embedding")(x)
    for i, units in enumerate(config.units):
        last = i == len(config.units) - 1
        layer_name = f"{config.cell}_{i}"
        recurrent = layer_class(
            units, return_sequences=not last, recurrent_dropout=config.recurrent_dropout, name=layer_name
        )
        if config.bidirectional:
            recurrent = keras.layers.Bidirectional(recurrent, merge_mode="concat", name=f"bidirectional_{layer_name}")
        x = recurrent(x)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"{layer_name}_dropout")(x)
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


def rnn_search_space(hp, config: RNNConfig) -> dict:
    depth = hp.Int("depth", 1, 3)
    width = hp.Choice("units", [32, 64, 128, 256])
    return {
        "cell": hp.Choice("cell", list(CELLS)),
        "units": (width,) * depth,
        "bidirectional": hp.Boolean("bidirectional"),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 128, 256]),  # unused on frame inputs
    }


RNN = Family(
    "rnn",
    config_class=RNNConfig,
    build=build_rnn,
    search_space=rnn_search_space,
    check_input=check_rnn_input,
    description="stacked LSTM or GRU layers on token ids or frames, optionally bidirectional",
)

_LSTM_REFERENCE = "Hochreiter and Schmidhuber 1997, https://doi.org/10.1162/neco.1997.9.8.1735"
_GRU_REFERENCE = "Cho et al. 2014, https://arxiv.org/abs/1406.1078"
_TEXT = dict(domains=("nlp",), input_kind="tokens", input_shape=(200,), num_classes=2)
_FRAMES = dict(domains=("speech", "finance"), input_kind="sequence", input_shape=(98, 40), num_classes=12)


@register_model(RNN, **_TEXT, params=2_691_842, reference=_LSTM_REFERENCE)
def lstm_text():
    """One LSTM(128) over 128-wide token embeddings: a text classification baseline."""
    return RNNConfig(cell="lstm", units=(128,))


@register_model(RNN, **_TEXT, params=2_757_890, reference=_LSTM_REFERENCE)
def lstm_text_bidir():
    """Two stacked bidirectional LSTM(64) layers over token embeddings, as in the Keras IMDB example."""
    return RNNConfig(cell="lstm", units=(64, 64), bidirectional=True)


@register_model(RNN, **_TEXT, params=2_659_330, reference=_GRU_REFERENCE)
def gru_text():
    """One GRU(128) over 128-wide token embeddings: lighter than the LSTM."""
    return RNNConfig(cell="gru", units=(128,))


@register_model(RNN, **_TEXT, params=2_709_250, reference=_GRU_REFERENCE)
def gru_text_bidir():
    """Two stacked bidirectional GRU(64) layers over token embeddings."""
    return RNNConfig(cell="gru", units=(64, 64), bidirectional=True)


@register_model(RNN, **_FRAMES, params=219_660, reference=_LSTM_REFERENCE)
def lstm_frames():
    """Two stacked LSTM(128) layers over frames: log-mel spectrograms or multivariate series."""
    return RNNConfig(cell="lstm", units=(128, 128), dropout=0.1)


@register_model(RNN, **_FRAMES, params=154_124, reference=_LSTM_REFERENCE)
def lstm_frames_bidir():
    """Two stacked bidirectional LSTM(64) layers over frames."""
    return RNNConfig(cell="lstm", units=(64, 64), bidirectional=True, dropout=0.1)


@register_model(RNN, **_FRAMES, params=165_900, reference=_GRU_REFERENCE)
def gru_frames():
    """Two stacked GRU(128) layers over frames."""
    return RNNConfig(cell="gru", units=(128, 128), dropout=0.1)
