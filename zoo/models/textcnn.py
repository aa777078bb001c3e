"""Kim-style 1-D convolutional text classifiers: parallel convolutions over token embeddings.

The recipe of Kim (2014): token ids go through an embedding; one bank of 1-D convolutions per
kernel size (3, 4 and 5 tokens: n-gram detectors) runs over the whole sequence; each bank is
pooled over time (max by default: "did this n-gram occur anywhere?"); the pooled features are
concatenated and classified, with dropout on them. Fast to train and a strong baseline for
sentence and document classification. The embedding is named `token_embedding`, so pretrained
word vectors (GloVe, word2vec) can be loaded into it.
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

POOLINGS = ("max", "avg")


@dataclass
class TextCNNConfig(HeadConfig):
    vocab_size: int = 20000  # ids in [0, vocab_size), 0 is padding
    embedding_dim: int = 128  # width of the token embedding
    kernel_sizes: tuple[int, ...] = (3, 4, 5)  # one convolution bank per size (in tokens), run in parallel
    filters: int = 100  # per kernel size
    activation: str = "relu"  # of the convolutions; one of ACTIVATIONS
    pooling: str = "max"  # over time: "max" or "avg"
    embedding_dropout: float = 0.0  # Dropout after the embedding
    head_dropout: float = 0.5  # on the concatenated pooled features, as in Kim 2014

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("vocab_size", self.vocab_size)
        check_positive("embedding_dim", self.embedding_dim)
        check_positive_ints("kernel_sizes", self.kernel_sizes)
        if len(set(self.kernel_sizes)) != len(self.kernel_sizes):
            raise ValueError(f"kernel_sizes must not repeat a size. Received: kernel_sizes={self.kernel_sizes!r}")
        check_positive("filters", self.filters)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("pooling", self.pooling, POOLINGS)
        check_range("embedding_dropout", self.embedding_dropout, 0.0, 1.0, high_open=True)


def check_textcnn_input(config: TextCNNConfig, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 1:
        raise ValueError(f"A text CNN takes (length,) token ids. Received: input_shape={input_shape}")
    widest = max(config.kernel_sizes)
    if input_shape[0] < widest:
        raise ValueError(
            f"The widest convolution spans {widest} tokens: sequences must be at least {widest} long. "
            f"Received: input_shape={input_shape}"
        )


def build_textcnn(config: TextCNNConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import classification_head

    check_textcnn_input(config, input_shape)
    inputs = keras.Input(shape=input_shape, dtype="int32", name="inputs")
    # No mask_zero: the convolutions do not take a mask, and need none. Pads (id 0) embed to one
    # learned vector, so a window of pads gives the same activation wherever it is; max pooling over
    # time keeps each filter's strongest n-gram, which a ReLU filter learns not to find in pads.
    # Kim (2014) pads the same way.
    x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, name="token_embedding")(inputs)
    if config.embedding_dropout:
        x = keras.layers.Dropout(config.embedding_dropout, name="embedding_dropout")(x)
    pool = {"max": keras.layers.GlobalMaxPooling1D, "avg": keras.layers.GlobalAveragePooling1D}[config.pooling]
    branches = []
    for k in config.kernel_sizes:
        branch = keras.layers.Conv1D(config.filters, k, activation=config.activation, name=f"conv{k}")(x)
        branches.append(pool(name=f"pool{k}")(branch))
    x = branches[0] if len(branches) == 1 else keras.layers.Concatenate(name="concat")(branches)
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


KERNEL_SETS = {"3,4,5": (3, 4, 5), "2,3,4": (2, 3, 4), "1,2,3": (1, 2, 3), "3": (3,)}


def textcnn_search_space(hp, config: TextCNNConfig) -> dict:
    return {
        "filters": hp.Choice("filters", [64, 100, 200]),
        "kernel_sizes": KERNEL_SETS[hp.Choice("kernel_sizes", list(KERNEL_SETS))],
        "embedding_dim": hp.Choice("embedding_dim", [64, 128, 300]),
        "head_dropout": hp.Float("head_dropout", 0.2, 0.6, step=0.1),
    }


TEXTCNN = Family(
    "textcnn",
    config_class=TextCNNConfig,
    build=build_textcnn,
    search_space=textcnn_search_space,
    check_input=check_textcnn_input,
    description="Kim-style 1-D convolutional text classifiers",
)

_KIM = "Kim 2014, https://arxiv.org/abs/1408.5882"


@register_model(TEXTCNN, domains=("nlp",), input_kind="tokens", input_shape=(200,), num_classes=2,
                params=2_714_502, reference=_KIM)
def cnn_text():
    """Kernel sizes 3,4,5 x 100 filters over 128-wide token embeddings, max-pooled over time, dropout 0.5 (Kim's CNN-rand/non-static)."""
    return TextCNNConfig(kernel_sizes=(3, 4, 5), filters=100, embedding_dim=128, head_dropout=0.5)
