"""SASRec: a causal self-attention encoder over a user's item history that predicts their next item.

Kang and McAuley (2018), "Self-Attentive Sequential Recommendation", https://arxiv.org/abs/1808.09781.

The input is one user's history as `(max_len,)` int32 item tokens, oldest first and LEFT-padded
with 0: token k is item number k - 1, token 0 is padding, so the most recent item is always the
last position. The output is a score for every token, `(num_classes,)`: `num_classes` is the
number of items + 1 (the vocabulary IS the classes; column 0, padding, is never a right answer
and learns to rank last). Train it as the paper does, every position at once: `all_positions(model)`
on `applications.recommendation.sequences.next_item_windows`, with sparse categorical cross-entropy.

The network, as in the paper:

    x = ItemEmbedding(tokens) + PositionEmbedding       # padding masked (mask_zero)
    x = Dropout(x)
    x = x + Dropout(CausalSelfAttention(LayerNorm(x)))  # num_blocks pre-norm blocks (the paper's
    x = x + Dropout(FFN(LayerNorm(x)))                  #   g(x) = x + Dropout(g(LayerNorm(x))))
    logits = Dense(LayerNorm(x)[:, -1])                 # the last (most recent) position only

Each position attends to itself and to the earlier positions only (`use_causal_mask`), never to
padding (the embedding's mask). A padding position of a left-padded history has no position it
may attend to: Keras then gives it uniform attention with finite scores (masked logits are set to
-1e9, not -inf), so it holds no NaN, and no real position ever reads it. A history of padding
only therefore gets finite (meaningless) logits.

Where this differs from the paper: the output is a separate dense layer `head` (with a bias per
item: its popularity) rather than the item embedding reused (tied), which is simpler and lets
`zoo.transfer` swap the head like every registry model's; and the loss is a softmax over all
items (full cross-entropy) rather than the paper's binary cross-entropy on one sampled negative
per position, which ranks better when the catalogue fits in one output layer (Klenitskiy and
Vasilev 2023, https://arxiv.org/abs/2309.07602). The input embedding is not scaled by sqrt(dim).
Dropout is applied where the authors' code applies it: after the embeddings, on the attention
weights, after the attention and in the feed-forward network.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import check_choice, check_positive, check_range
from keras_zoo.registry import Family, register_model

OUTPUT_ACTIVATIONS = ("softmax", None)
NORM_EPSILON = 1e-8  # of every layer norm, as in the authors' code


@dataclass
class SASRecConfig:
    embedding_dim: int = 64  # width of the item and position embeddings and of every block (the paper's d)
    num_blocks: int = 2  # self-attention blocks (the paper's b)
    num_heads: int = 1  # attention heads per block, each embedding_dim // num_heads wide (1 in the paper)
    # On the embeddings, the attention weights, the attention output and in the FFN; the paper used
    # 0.2 on MovieLens-1M and 0.5 on sparser data.
    dropout: float = 0.2
    # "softmax": P(next item), as every registry classifier; None: logits, to train with
    # from_logits=True and to rank on (what applications.recommendation.sequences.SequenceScorer reads).
    classifier_activation: str | None = "softmax"

    def __post_init__(self) -> None:
        check_positive("embedding_dim", self.embedding_dim)
        check_positive("num_blocks", self.num_blocks)
        check_positive("num_heads", self.num_heads)
        if self.embedding_dim % self.num_heads:
            raise ValueError(
                f"num_heads must divide embedding_dim={self.embedding_dim} (each head is embedding_dim // num_heads "
                f"wide). Received: num_heads={self.num_heads}"
            )
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_choice("classifier_activation", self.classifier_activation, OUTPUT_ACTIVATIONS)


def check_sasrec_input(config: SASRecConfig, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 1 or input_shape[0] < 1:
        raise ValueError(
            "SASRec takes (max_len,) item tokens, a user's history left-padded with 0. "
            f"Received: input_shape={input_shape}"
        )


def build_sasrec(config: SASRecConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import PositionEmbedding, classification_head

    check_sasrec_input(config, input_shape)
    if num_classes < 2:
        raise ValueError(
            "SASRec scores every item token: num_classes is the number of items + 1 (token 0 is padding), at least 2. "
            f"Received: num_classes={num_classes}"
        )
    inputs = keras.Input(shape=input_shape, dtype="int32", name="inputs")
    x = keras.layers.Embedding(num_classes, config.embedding_dim, mask_zero=True, name="item_embedding")(inputs)
    x = PositionEmbedding(input_shape[0], name="position_embedding")(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="embedding_dropout")(x)
    for i in range(config.num_blocks):
        x = causal_block(x, heads=config.num_heads, dropout=config.dropout, name=f"block_{i}")
    x = keras.layers.LayerNormalization(epsilon=NORM_EPSILON, name="encoder_norm")(x)
    x = x[:, -1, :]  # the most recent item's position: it has attended to the whole history
    outputs = classification_head(x, num_classes, activation=config.classifier_activation)
    return keras.Model(inputs, outputs, name=name)


def causal_block(x, *, heads: int, dropout: float, name: str):
    """One pre-norm block with causal self-attention and the paper's ReLU feed-forward of width dim:

        x = x + Dropout(MultiHeadAttention(LayerNorm(x), causal))
        x = x + Dropout(Dense(dim)(Dropout(Dense(dim, relu)(LayerNorm(x)))))

    The registry's encoder block with a causal mask. The padding mask on `x` (from
    `Embedding(mask_zero=True)`) reaches the attention with the causal mask, and flows on.
    """
    from keras_zoo.layers import transformer_encoder_block

    return transformer_encoder_block(x, heads=heads, mlp_dim=x.shape[-1], dropout=dropout, attention_dropout=dropout,
                                     epsilon=NORM_EPSILON, activation="relu", causal=True, name=name)


def all_positions(model, last: int | None = None):
    """A training view of a `sasrec` model that scores the next item at every position, as the paper trains.

    The registry model reads the last position only (what ranking and serving need). This view
    shares all its layers (the same variables) and applies `head` to every position of the
    encoder's output: `(b, max_len)` tokens -> `(b, max_len, num_classes)` logits, position j
    scoring the item after token j. Trained on `sequences.next_item_windows` with the labels' zeros
    weighted out, one pass over a window teaches up to max_len next items, where the registry
    model learns one. The causal mask keeps each position from reading the item it is taught.

    Args:
        model: a `sasrec` registry model built with `classifier_activation=None` (logits out).
        last: score the last `last` positions only, `(b, last, num_classes)`: where windows carry
            labels only there (`next_item_windows` with `stride=last`), the head (logits for the
            whole catalogue) is not computed for positions without a label.

    Returns:
        A `keras.Model` named `{model.name}_all_positions`.

    Raises:
        ValueError: `model` is not a sasrec model with logits out.

    Example:
        >>> net = zoo.create_model("sasrec", num_classes=1684, classifier_activation=None)
        >>> trainer = all_positions(net)
        >>> trainer.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> trainer.fit(x, y, sample_weight=(y > 0).astype("float32"))   # x, y: next_item_windows
    """
    import keras

    names = {layer.name for layer in model.layers}
    if not {"encoder_norm", "head"} <= names or "predictions" in names:
        raise ValueError("all_positions takes a sasrec model with logits out "
                         "(zoo.create_model('sasrec', ..., classifier_activation=None)). "
                         f"Received: a model named {model.name!r} with layers {sorted(names)[:8]}...")
    features = model.get_layer("encoder_norm").output  # (b, max_len, d): every position
    if last is not None:
        if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= features.shape[1]:
            raise ValueError(f"last must be an int from 1 to the input length {features.shape[1]}. Received: last={last!r}")
        features = features[:, -last:, :]
    return keras.Model(model.input, model.get_layer("head")(features), name=f"{model.name}_all_positions")


def sasrec_search_space(hp, config: SASRecConfig) -> dict:
    return {
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 128]),
        "num_blocks": hp.Int("num_blocks", 1, 3),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
    }


SASREC = Family(
    "sasrec",
    config_class=SASRecConfig,
    build=build_sasrec,
    search_space=sasrec_search_space,
    check_input=check_sasrec_input,
    description="Causal self-attention over a user's item history, predicting the next item",
)

_KANG = "Kang and McAuley 2018, https://arxiv.org/abs/1808.09781"


@register_model(SASREC, domains=("recommendation",), input_kind="tokens", input_shape=(50,), num_classes=1001,
                params=182_889, reference=_KANG)
def sasrec():
    """Two causal self-attention blocks of width 64 (1 head) over the last 50 items; scores for 1000 items + padding."""
    return SASRecConfig(embedding_dim=64, num_blocks=2, num_heads=1, dropout=0.2)
