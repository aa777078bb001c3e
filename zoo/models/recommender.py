"""Recommenders: score one (user, item) pair. Matrix factorisation, NCF and a two-tower retriever.

Every model takes a batch of `(2,)` int32 rows `[user, item]` (input kind `"ids"`) and returns one
score per row, `(batch, 1)`: with `classifier_activation="sigmoid"` (the default everywhere) the
probability that the user interacts with the item, trained with binary cross-entropy on observed
pairs and sampled negatives (implicit feedback); with `None` the raw score, trained with mean
squared error on ratings (explicit feedback). Users are numbered `1..num_users-1` and items
`1..num_items-1`; number 0 is the unknown user or item, the one out-of-vocabulary index of the
`keras.layers.StringLookup` that maps the application's raw ids to numbers. The tables have
`num_users` and `num_items` rows, row 0 included.

- `mf` (family `mf`): matrix factorisation with biases, `<p_u, q_i> + b_u + b_i + b` (Koren et al.
  2009). Rendle et al. (2020) showed that this dot product, well tuned, beats NCF's learned
  similarity.
- `gmf`, `ncf_mlp`, `neumf` (family `ncf`): Neural Collaborative Filtering (He et al. 2017). GMF
  weighs the elementwise product of the two embeddings with a dense `prediction` layer; the MLP
  reads the concatenated embeddings through a ReLU tower; NeuMF runs both on separate embeddings
  and concatenates their last layers before `prediction`. `neumf_from_parts` is the paper's
  pretraining: a NeuMF initialised from a trained GMF and MLP.
- `two_tower` (family `two_tower`): a user tower and an item tower (embedding, then an MLP) whose
  outputs meet in a dot product (Covington et al. 2016; Yi et al. 2019), trainable on pairs with
  binary cross-entropy or with an in-batch softmax (`in_batch_softmax`).

`mf` and `two_tower` factorise: `towers(model)` gives a user model and an item model whose dot
product ranks items as the full model does, which is what a nearest-neighbour index over item
vectors serves. NCF's models do not: to rank, score every candidate pair.

The layers have names an application can look up: `user_embedding`, `item_embedding` (NeuMF:
`gmf_user_embedding`, `gmf_item_embedding`, `mlp_user_embedding`, `mlp_item_embedding`),
`user_bias`, `item_bias` and `global_bias` (mf), `prediction` (NCF's final dense layer),
`user_tower` and `item_tower` (two_tower's nested models), `score` (the pre-activation score of
mf and two_tower) and `probability` (the sigmoid, when there is one).

Where these differ from the papers: the embedding vectors each batch looks up can carry an L2
penalty (`l2`, averaged over the batch, as in matrix factorisation's SGD) rather than NCF's
per-layer one, and the MLP towers have optional dropout, which NCF's code does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import check_choice, check_positive, check_positive_ints, check_range
from keras_zoo.registry import Family, register_model

SCORE_ACTIVATIONS = ("sigmoid", None)


@dataclass
class RecommenderConfig:
    """What every recommender has: the sizes of the id tables, their penalty, the output."""

    num_users: int = 1000  # rows of the user tables, row 0 (the unknown user) included
    num_items: int = 1000  # rows of the item tables, row 0 (the unknown item) included
    l2: float = 0.0  # L2 penalty on the embedding vectors a batch looks up, averaged over it (not on biases or dense layers)
    classifier_activation: str | None = "sigmoid"  # "sigmoid": P(interaction), BCE; None: a rating, MSE

    def __post_init__(self) -> None:
        check_positive("num_users", self.num_users)
        check_positive("num_items", self.num_items)
        check_range("l2", self.l2, 0.0, float("inf"))
        check_choice("classifier_activation", self.classifier_activation, SCORE_ACTIVATIONS)


def check_ids_input(config: RecommenderConfig, input_shape: tuple[int, ...]) -> None:
    if tuple(input_shape) != (2,):
        raise ValueError(
            f"A recommender takes (2,) ids, one [user, item] pair per example. Received: input_shape={input_shape}"
        )


def _check_num_classes(num_classes: int) -> None:
    if num_classes != 1:
        raise ValueError(
            f"a recommender scores one (user, item) pair: num_classes must be 1. Received: num_classes={num_classes}"
        )


def _check_dropout(config) -> None:
    check_range("dropout", config.dropout, 0.0, 1.0, high_open=True)


def _check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False. Received: {name}={value!r}")


# ---- building blocks (Keras is imported only inside functions: the registry stays Keras-free) ----


def _ids_input(config, input_shape, num_classes):
    """The `(batch, 2)` int32 input, and its user and item columns, each `(batch,)`."""
    import keras

    check_ids_input(config, input_shape)
    _check_num_classes(num_classes)
    inputs = keras.Input(shape=(2,), dtype="int32", name="ids")
    return inputs, inputs[:, 0], inputs[:, 1]


def _embedding(rows: int, dim: int, name: str, *, l2: float = 0.0, stddev: float | None = None):
    import keras

    return keras.layers.Embedding(
        rows,
        dim,
        embeddings_initializer="uniform" if stddev is None else keras.initializers.RandomNormal(stddev=stddev),
        # On the looked-up vectors (Keras averages an activity penalty over the batch), not the table:
        # each example regularises the user and item it touches, as in the SGD of Koren et al. 2009,
        # so frequent users are held as firmly as their data supports and rare ones are not crushed.
        activity_regularizer=keras.regularizers.L2(l2) if l2 else None,
        name=name,
    )


def _output(score, config):
    """The score itself, or its sigmoid (in float32, stable under mixed precision)."""
    import keras

    if config.classifier_activation is None:
        return score
    return keras.layers.Activation(config.classifier_activation, dtype="float32", name="probability")(score)


def _relu_tower(x, units, *, dropout: float, prefix: str):
    """Dense ReLU layers `{prefix}_layer1, 2, ...`, each followed by dropout when asked."""
    import keras

    for k, width in enumerate(units, start=1):
        x = keras.layers.Dense(width, activation="relu", name=f"{prefix}_layer{k}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{prefix}_dropout{k}")(x)
    return x


# ---- mf: matrix factorisation with biases ----


# Small initial factors, as in NCF's code: with 0.1, a softmax over the catalogue fitted the
# training items within a few epochs and ranked held-out ones worse (a one-off check on
# MovieLens-100k, 128 factors, 20 epochs, seed 0: HR@10 0.651 from 0.1 against 0.672 from 0.01).
_MF_STDDEV = 0.01


@dataclass
class MFConfig(RecommenderConfig):
    embedding_dim: int = 32  # factors per user and per item

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("embedding_dim", self.embedding_dim)


def build_mf(config: MFConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras
    from keras import ops

    inputs, users, items = _ids_input(config, input_shape, num_classes)
    p = _embedding(config.num_users, config.embedding_dim, "user_embedding", l2=config.l2, stddev=_MF_STDDEV)(users)
    q = _embedding(config.num_items, config.embedding_dim, "item_embedding", l2=config.l2, stddev=_MF_STDDEV)(items)
    b_u = keras.layers.Embedding(config.num_users, 1, embeddings_initializer="zeros", name="user_bias")(users)
    b_i = keras.layers.Embedding(config.num_items, 1, embeddings_initializer="zeros", name="item_bias")(items)
    # The global bias: a one-row table, row 0 looked up for every example (a learned scalar).
    b = keras.layers.Embedding(1, 1, embeddings_initializer="zeros", name="global_bias")(ops.zeros_like(users))
    dot = keras.layers.Dot(axes=1, name="dot")([p, q])
    score = keras.layers.Add(name="score")([dot, b_u, b_i, b])
    return keras.Model(inputs, _output(score, config), name=name)


def mf_search_space(hp, config: MFConfig) -> dict:
    return {
        "embedding_dim": hp.Choice("embedding_dim", [16, 32, 64, 128]),
        "l2": hp.Float("l2", 1e-5, 1e-1, sampling="log"),
    }


MF = Family(
    "mf",
    config_class=MFConfig,
    build=build_mf,
    search_space=mf_search_space,
    check_input=check_ids_input,
    description="Matrix factorisation with user, item and global biases",
)


# ---- ncf: GMF, MLP and NeuMF (He et al. 2017) ----


def _check_mlp_layers(mlp_layers) -> None:
    check_positive_ints("mlp_layers", mlp_layers)
    if mlp_layers[0] % 2:
        raise ValueError(
            "mlp_layers[0] is the width of the concatenated user and item embeddings (half each): it must be "
            f"even. Received: mlp_layers={mlp_layers!r}"
        )


@dataclass
class GMFConfig(RecommenderConfig):
    embedding_dim: int = 8  # the predictive factors (NCF's mf_dim)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("embedding_dim", self.embedding_dim)


@dataclass
class NCFMLPConfig(RecommenderConfig):
    # As NCF's code: mlp_layers[0] is the concatenated embeddings (mlp_layers[0] // 2 per user and
    # per item), then one ReLU layer per later entry; the last is the predictive factors.
    mlp_layers: tuple[int, ...] = (64, 32, 16, 8)
    dropout: float = 0.0  # after every hidden ReLU layer

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_mlp_layers(self.mlp_layers)
        _check_dropout(self)


@dataclass
class NeuMFConfig(RecommenderConfig):
    embedding_dim: int = 8  # the GMF part's factors (NCF's mf_dim)
    mlp_layers: tuple[int, ...] = (64, 32, 16, 8)  # the MLP part, as NCFMLPConfig.mlp_layers
    dropout: float = 0.0  # after every hidden ReLU layer of the MLP part

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("embedding_dim", self.embedding_dim)
        _check_mlp_layers(self.mlp_layers)
        _check_dropout(self)


# NCF's code: embeddings drawn from N(0, 0.01^2), the prediction layer lecun_uniform.
_NCF_STDDEV = 0.01


def _gmf_vector(config, users, items, prefix: str):
    import keras

    dim = config.embedding_dim
    p = _embedding(config.num_users, dim, f"{prefix}user_embedding", l2=config.l2, stddev=_NCF_STDDEV)(users)
    q = _embedding(config.num_items, dim, f"{prefix}item_embedding", l2=config.l2, stddev=_NCF_STDDEV)(items)
    return keras.layers.Multiply(name=f"{prefix}product")([p, q])


def _mlp_vector(config, users, items, prefix: str):
    import keras

    dim = config.mlp_layers[0] // 2
    p = _embedding(config.num_users, dim, f"{prefix}user_embedding", l2=config.l2, stddev=_NCF_STDDEV)(users)
    q = _embedding(config.num_items, dim, f"{prefix}item_embedding", l2=config.l2, stddev=_NCF_STDDEV)(items)
    x = keras.layers.Concatenate(name=f"{prefix}concat")([p, q])
    return _relu_tower(x, config.mlp_layers[1:], dropout=config.dropout, prefix="mlp")


def _prediction(x):
    import keras

    return keras.layers.Dense(1, kernel_initializer="lecun_uniform", name="prediction")(x)


def build_gmf(config: GMFConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    inputs, users, items = _ids_input(config, input_shape, num_classes)
    x = _gmf_vector(config, users, items, prefix="")
    return keras.Model(inputs, _output(_prediction(x), config), name=name)


def build_ncf_mlp(config: NCFMLPConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    inputs, users, items = _ids_input(config, input_shape, num_classes)
    x = _mlp_vector(config, users, items, prefix="")
    return keras.Model(inputs, _output(_prediction(x), config), name=name)


def build_neumf(config: NeuMFConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    inputs, users, items = _ids_input(config, input_shape, num_classes)
    gmf = _gmf_vector(config, users, items, prefix="gmf_")
    mlp = _mlp_vector(config, users, items, prefix="mlp_")
    x = keras.layers.Concatenate(name="neumf_concat")([gmf, mlp])  # GMF first: neumf_from_parts relies on it
    return keras.Model(inputs, _output(_prediction(x), config), name=name)


MLP_TOWERS = {
    "32,16,8": (32, 16, 8),
    "64,32,16,8": (64, 32, 16, 8),
    "128,64,32,16": (128, 64, 32, 16),
    "64,32": (64, 32),
}


def _l2_space(hp) -> float:
    return hp.Float("l2", 1e-5, 1e-1, sampling="log")


def gmf_search_space(hp, config: GMFConfig) -> dict:
    return {"embedding_dim": hp.Choice("embedding_dim", [8, 16, 32, 64]), "l2": _l2_space(hp)}


def ncf_mlp_search_space(hp, config: NCFMLPConfig) -> dict:
    return {
        "mlp_layers": MLP_TOWERS[hp.Choice("mlp_layers", list(MLP_TOWERS))],
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
        "l2": _l2_space(hp),
    }


def neumf_search_space(hp, config: NeuMFConfig) -> dict:
    return {**gmf_search_space(hp, config), **ncf_mlp_search_space(hp, config)}


# Three records, one family name (as `kws`): each has its own config, so `zoo info` shows only its fields.
GMF = Family("ncf", config_class=GMFConfig, build=build_gmf, search_space=gmf_search_space,
             check_input=check_ids_input, description="NCF's generalized matrix factorisation")
NCF_MLP = Family("ncf", config_class=NCFMLPConfig, build=build_ncf_mlp, search_space=ncf_mlp_search_space,
                 check_input=check_ids_input, description="NCF's MLP over concatenated embeddings")
NEUMF = Family("ncf", config_class=NeuMFConfig, build=build_neumf, search_space=neumf_search_space,
               check_input=check_ids_input, description="NCF's NeuMF: GMF and MLP fused")


# ---- two_tower: a user tower and an item tower, met in a dot product ----


@dataclass
class TwoTowerConfig(RecommenderConfig):
    embedding_dim: int = 64  # of the id embedding at the bottom of each tower
    hidden_units: tuple[int, ...] = (64,)  # ReLU layers of each tower; () for none
    output_dim: int = 32  # width of the vectors that meet in the dot product
    dropout: float = 0.0  # after every hidden ReLU layer
    normalize: bool = False  # L2-normalise both outputs: the score is a cosine (then use a temperature)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("embedding_dim", self.embedding_dim)
        check_positive_ints("hidden_units", self.hidden_units, allow_empty=True)
        check_positive("output_dim", self.output_dim)
        _check_dropout(self)
        _check_bool("normalize", self.normalize)


def _tower(config: TwoTowerConfig, side: str, rows: int):
    """`{side}_tower`: a `(batch,)` int id -> a `(batch, output_dim)` vector."""
    import keras

    ids = keras.Input(shape=(), dtype="int32", name=f"{side}_ids")
    x = _embedding(rows, config.embedding_dim, f"{side}_embedding", l2=config.l2)(ids)
    x = _relu_tower(x, config.hidden_units, dropout=config.dropout, prefix=side)
    x = keras.layers.Dense(config.output_dim, name=f"{side}_output")(x)
    if config.normalize:
        x = keras.layers.UnitNormalization(name=f"{side}_normalize")(x)
    return keras.Model(ids, x, name=f"{side}_tower")


def build_two_tower(config: TwoTowerConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras

    inputs, users, items = _ids_input(config, input_shape, num_classes)
    u = _tower(config, "user", config.num_users)(users)
    v = _tower(config, "item", config.num_items)(items)
    score = keras.layers.Dot(axes=1, name="score")([u, v])
    return keras.Model(inputs, _output(score, config), name=name)


TOWER_WIDTHS = {"64": (64,), "128,64": (128, 64), "none": ()}


def two_tower_search_space(hp, config: TwoTowerConfig) -> dict:
    return {
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 128]),
        "hidden_units": TOWER_WIDTHS[hp.Choice("hidden_units", list(TOWER_WIDTHS))],
        "output_dim": hp.Choice("output_dim", [16, 32, 64]),
        "l2": _l2_space(hp),
    }


TWO_TOWER = Family(
    "two_tower",
    config_class=TwoTowerConfig,
    build=build_two_tower,
    search_space=two_tower_search_space,
    check_input=check_ids_input,
    description="User and item towers met in a dot product",
)


# ---- the registry ----

_IDS = dict(domains=("recommendation",), input_kind="ids", input_shape=(2,), num_classes=1)
_MF_REFERENCE = (
    "Koren, Bell and Volinsky 2009, https://doi.org/10.1109/MC.2009.263; "
    "Rendle, Krichene, Zhang and Anderson 2020, https://arxiv.org/abs/2005.09683"
)
_NCF_REFERENCE = "He, Liao, Zhang, Nie, Hu and Chua 2017, https://arxiv.org/abs/1708.05031"
_TWO_TOWER_REFERENCE = (
    "Covington, Adams and Sargin 2016, https://doi.org/10.1145/2959100.2959190; "
    "Yi et al. 2019, https://doi.org/10.1145/3298689.3346996"
)


@register_model(MF, **_IDS, params=258_001, reference=_MF_REFERENCE)
def mf():
    """Dot product of 128-factor user and item embeddings plus user, item and global biases; L2 1e-2 on the factors."""
    return MFConfig(embedding_dim=128, l2=1e-2)


@register_model(GMF, **_IDS, params=16_009, reference=_NCF_REFERENCE)
def gmf():
    """NCF's GMF: elementwise product of 8-wide user and item embeddings, weighed by a dense layer."""
    return GMFConfig(embedding_dim=8)


@register_model(NCF_MLP, **_IDS, params=66_753, reference=_NCF_REFERENCE)
def ncf_mlp():
    """NCF's MLP: 32-wide user and item embeddings concatenated, ReLU layers 32, 16, 8, a dense layer."""
    return NCFMLPConfig(mlp_layers=(64, 32, 16, 8))


@register_model(NEUMF, **_IDS, params=82_761, reference=_NCF_REFERENCE)
def neumf():
    """NCF's NeuMF: GMF (8 factors) and MLP (64, 32, 16, 8) on separate embeddings, fused by a dense layer."""
    return NeuMFConfig(embedding_dim=8, mlp_layers=(64, 32, 16, 8))


@register_model(TWO_TOWER, **_IDS, params=140_480, reference=_TWO_TOWER_REFERENCE)
def two_tower():
    """User and item towers (64-wide id embedding, ReLU 64, 32-d output) met in a dot product."""
    return TwoTowerConfig(embedding_dim=64, hidden_units=(64,), output_dim=32)


# ---- serving and training helpers ----


def towers(model):
    """The user and item models of a factorising recommender (`mf`, `two_tower`), or None.

    Returns `(user_vectors, item_vectors)`: Keras models mapping a `(batch,)` int tensor of user
    (item) numbers to `(batch, d)` float vectors, sharing the weights of `model`, such that
    `dot(user_vectors(u), item_vectors(i))` is the model's score of `(u, i)` before its sigmoid,
    minus a constant. A nearest-neighbour index over item vectors then retrieves a user's top items.

    For `mf` the biases fold into the dot product: the user vector is `[p_u, 1, b_u]` and the item
    vector `[q_i, b_i, 1]` (d = embedding_dim + 2); the global bias, the same for every pair, is
    the constant left out. For `two_tower` they are the model's own `user_tower` and `item_tower`.
    NCF's models (`gmf`, `ncf_mlp`, `neumf`) do not factorise (their score is not a dot product of
    a user part and an item part): None, and the caller scores every candidate pair.

    Args:
        model: a model built by `zoo.create_model` from the recommendation family, or loaded from
            one's `.keras` file.

    Raises:
        ValueError: `model` is not one of the registry's recommenders.

    Example:
        >>> model = zoo.create_model("mf", num_users=101, num_items=51)
        >>> user_vectors, item_vectors = towers(model)
        >>> items = item_vectors.predict(np.arange(1, 51))  # (50, 34): index these
        >>> scores = user_vectors.predict(np.array([7])) @ items.T  # user 7's ranking of items 1..50
    """
    import keras
    from keras import ops

    names = {layer.name for layer in model.layers}
    if {"user_tower", "item_tower"} <= names:
        return model.get_layer("user_tower"), model.get_layer("item_tower")
    if {"user_embedding", "item_embedding", "user_bias", "item_bias"} <= names:
        vectors = []
        for side, bias_first in (("user", False), ("item", True)):
            ids = keras.Input(shape=(), dtype="int32", name=f"{side}_ids")
            factors = model.get_layer(f"{side}_embedding")(ids)
            bias = model.get_layer(f"{side}_bias")(ids)
            ones = ops.ones_like(bias)
            parts = [factors, bias, ones] if bias_first else [factors, ones, bias]
            out = keras.layers.Concatenate(name=f"{side}_vector")(parts)
            vectors.append(keras.Model(ids, out, name=f"{side}_vectors"))
        return tuple(vectors)
    if "prediction" in names:
        return None
    raise ValueError(
        "towers() takes a recommender of the registry (mf, gmf, ncf_mlp, neumf, two_tower); this model has "
        f"none of their layers. Received: model={model.name!r}"
    )


def in_batch_softmax(model, *, item_log_probs=None, temperature: float = 1.0):
    """A training model for `mf` or `two_tower` that scores every user of a batch against every item of it.

    The model takes the same `(b, 2)` `[user, item]` rows and returns `(b, b)` logits:
    `u_i . v_j / temperature - log_prob[item_j]`, where `u`, `v` are `towers(model)`'s vectors.
    Row i is a softmax over the batch's items whose right answer is column i (its own item); the
    other rows' items are its negatives, sampled in proportion to their frequency. Subtracting the
    log of that frequency is the sampling-bias correction of Yi et al. 2019 ("Sampling-bias-corrected
    neural modeling for large corpus item recommendations", RecSys,
    https://doi.org/10.1145/3298689.3346996): without it popular items are punished for being
    popular. "Accidental hits", a column j != i holding the same item as row i, would be positives
    counted as negatives: their logit is set to -1e9.

    Train it with `SparseCategoricalCrossentropy(from_logits=True)` and the labels `range(b)` of
    each batch. It holds no weights of its own (but the fixed log-probabilities): its trainable
    weights are `model`'s, the same variables, so training it trains `model`. `mf`'s global bias
    is not among them, and its user biases, which do not change a softmax over items, get a zero
    gradient. It saves to
    `.keras` and loads back in safe mode like any zoo model, but the scoring `model` is the one to
    keep.

    Args:
        model: an `mf` or `two_tower` model (one that `towers` factorises).
        item_log_probs: `(num_items,)` floats, the log of each item's frequency among the training
            pairs (smooth the counts: every value must be finite), indexed by item number; None for
            no correction.
        temperature: the logits are divided by it (> 0); below 1 sharpens the softmax, which a
            `normalize=True` two-tower, whose dot products lie in [-1, 1], needs (Yi et al. use 0.05).

    Returns:
        A `keras.Model` named `{model.name}_in_batch_softmax`.

    Raises:
        ValueError: `model` does not factorise, `temperature` is not positive, or `item_log_probs`
            does not hold one finite value per item.

    Example:
        >>> model = zoo.create_model("two_tower", num_users=101, num_items=51, normalize=True)
        >>> pairs = ...  # (n, 2) int32 [user, item] rows of the training interactions
        >>> counts = np.bincount(pairs[:, 1], minlength=51) + 1.0
        >>> trainer = in_batch_softmax(model, item_log_probs=np.log(counts / counts.sum()), temperature=0.1)
        >>> trainer.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> data = tf.data.Dataset.from_tensor_slices(pairs).shuffle(10_000).batch(256)
        >>> trainer.fit(data.map(lambda x: (x, tf.range(tf.shape(x)[0]))), epochs=5)
        >>> model.predict(pairs[:3])  # the scoring model has learned
    """
    import keras
    import numpy as np
    from keras import ops

    pair = towers(model)
    if pair is None:
        raise ValueError(
            f"in_batch_softmax needs a model whose score is a dot product of a user and an item vector (mf, "
            f"two_tower); {model.name}'s is not. Received: model={model.name!r}"
        )
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature must be a positive number. Received: temperature={temperature!r}")
    user_vectors, item_vectors = pair
    num_items = item_vectors.get_layer("item_embedding").input_dim
    if item_log_probs is not None:
        item_log_probs = np.asarray(item_log_probs, dtype="float32")
        if item_log_probs.shape != (num_items,) or not np.all(np.isfinite(item_log_probs)):
            raise ValueError(
                f"item_log_probs must hold one finite log-frequency per item, shape ({num_items},) (smooth zero "
                f"counts). Received: item_log_probs of shape {item_log_probs.shape}"
                + ("" if np.all(np.isfinite(item_log_probs)) else " with non-finite values")
            )

    inputs = keras.Input(shape=(2,), dtype="int32", name="ids")
    users, items = inputs[:, 0], inputs[:, 1]
    u = ops.cast(user_vectors(users), "float32")
    v = ops.cast(item_vectors(items), "float32")
    logits = ops.matmul(u, ops.transpose(v)) / float(temperature)  # (b, b): user i against item j
    log_prob_table = None
    if item_log_probs is not None:
        log_prob_table = keras.layers.Embedding(num_items, 1, embeddings_initializer="zeros", trainable=False,
                                                name="item_log_prob")
        logits = logits - ops.transpose(log_prob_table(items))  # (1, b): column j's correction
    # Accidental hits: the same item in column j as in row i, off the diagonal. The positions
    # 1..b come from the batch itself, as its size is unknown when the graph is built.
    positions = ops.cumsum(ops.ones_like(items))
    same_item = ops.equal(ops.expand_dims(items, 1), ops.expand_dims(items, 0))
    off_diagonal = ops.not_equal(ops.expand_dims(positions, 1), ops.expand_dims(positions, 0))
    logits = ops.where(ops.logical_and(same_item, off_diagonal), -1e9, logits)
    trainer = keras.Model(inputs, logits, name=f"{model.name}_in_batch_softmax")
    if log_prob_table is not None:
        log_prob_table.set_weights([item_log_probs[:, None]])
    return trainer


def full_softmax(model):
    """A training model for `mf` or `two_tower` that scores every user of a batch against the whole catalogue.

    It takes the same `(b, 2)` `[user, item]` rows and returns `(b, num_items)` logits: `u . v_j` for
    every item number j (the unknown row 0 included: it is never a positive, so it learns to rank
    last). Trained with `SparseCategoricalCrossentropy(from_logits=True)` and the item column as
    labels, it is the softmax (multinomial) loss over all items: every other item is a negative
    of every positive, exactly, with no sampling. For catalogues up to some tens of thousands of
    items it costs one `(b, d) x (d, num_items)` product a step, and it ranks better than sampled
    binary cross-entropy (on MovieLens-100k, see the README's recommendation section).

    Its trainable weights are `model`'s (the same variables). `mf`'s global bias and user biases
    do not change a softmax over items: they get no (or a zero) gradient.

    Args:
        model: an `mf` or `two_tower` model (one that `towers` factorises).

    Returns:
        A `keras.Model` named `{model.name}_full_softmax`.

    Raises:
        ValueError: `model` does not factorise.

    Example:
        >>> model = zoo.create_model("mf", num_users=101, num_items=51)
        >>> trainer = full_softmax(model)
        >>> trainer.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> trainer.fit(pairs, pairs[:, 1], epochs=5)   # pairs: (n, 2) int32 [user, item] rows
    """
    import keras
    from keras import ops

    from keras_zoo.layers.catalogue import ItemRange

    pair = towers(model)
    if pair is None:
        raise ValueError(
            f"full_softmax needs a model whose score is a dot product of a user and an item vector (mf, "
            f"two_tower); {model.name}'s is not. Received: model={model.name!r}"
        )
    user_vectors, item_vectors = pair
    num_items = item_vectors.get_layer("item_embedding").input_dim
    inputs = keras.Input(shape=(2,), dtype="int32", name="ids")
    u = ops.cast(user_vectors(inputs[:, 0]), "float32")
    v = ops.cast(item_vectors(ItemRange(0, num_items, name="catalogue")(inputs)), "float32")
    return keras.Model(inputs, ops.matmul(u, ops.transpose(v)), name=f"{model.name}_full_softmax")


def neumf_from_parts(neumf, gmf, mlp, *, alpha: float = 0.5):
    """Initialise a NeuMF from a trained GMF and a trained NCF MLP: NCF's pretraining (He et al. 2017, 3.4.1).

    Copies GMF's `user_embedding` and `item_embedding` into NeuMF's `gmf_user_embedding` and
    `gmf_item_embedding`; the MLP's into `mlp_user_embedding` and `mlp_item_embedding`, and its
    hidden layers `mlp_layer1, 2, ...` into NeuMF's of the same names; and sets NeuMF's
    `prediction` kernel to `[alpha * h_gmf; (1 - alpha) * h_mlp]` and its bias to
    `alpha * b_gmf + (1 - alpha) * b_mlp`. NeuMF's score before the sigmoid is then exactly
    `alpha * score_gmf + (1 - alpha) * score_mlp`. The paper trains on from there with plain SGD.

    Args:
        neumf: a `neumf` model (its weights are overwritten; it is also returned).
        gmf: a trained `gmf` model with the same tables and factors as NeuMF's GMF part.
        mlp: a trained `ncf_mlp` model with the same tables and `mlp_layers` as NeuMF's MLP part.
        alpha: the weight of GMF against the MLP in the prediction layer, in [0, 1]; 0.5 in the paper.

    Returns:
        `neumf`.

    Raises:
        ValueError: a model misses a layer it should have, or a copied weight's shape differs
            (different table sizes, factors or `mlp_layers`), naming the layer.

    Example:
        >>> gmf = zoo.create_model("gmf", num_users=101, num_items=51)  # ... and train it
        >>> mlp = zoo.create_model("ncf_mlp", num_users=101, num_items=51)  # ... and train it
        >>> neumf = neumf_from_parts(zoo.create_model("neumf", num_users=101, num_items=51), gmf, mlp)
    """
    import numpy as np

    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be a number in [0, 1]. Received: alpha={alpha!r}")

    def layer(model, role: str, name: str):
        try:
            return model.get_layer(name)
        except ValueError:
            raise ValueError(
                f"neumf_from_parts: the {role} model {model.name!r} has no layer {name!r}; pass a {role} model "
                "of the registry."
            ) from None

    def weights_of(model, role: str, name: str, target: str):
        """The weights of `model`'s layer `name`, checked against NeuMF's layer `target`."""
        source = [np.asarray(w) for w in layer(model, role, name).get_weights()]
        expected = [tuple(w.shape) for w in layer(neumf, "neumf", target).get_weights()]
        found = [tuple(w.shape) for w in source]
        if found != expected:
            raise ValueError(
                f"neumf_from_parts: {role} layer {name!r} has weights of shapes {found}, but neumf layer {target!r} "
                f"needs {expected}: build the parts with the same num_users, num_items, embedding_dim and "
                "mlp_layers as the NeuMF."
            )
        return source

    copies = {}
    for side in ("user", "item"):
        copies[f"gmf_{side}_embedding"] = weights_of(gmf, "gmf", f"{side}_embedding", f"gmf_{side}_embedding")
        copies[f"mlp_{side}_embedding"] = weights_of(mlp, "mlp", f"{side}_embedding", f"mlp_{side}_embedding")
    hidden = sorted(l.name for l in neumf.layers if l.name.startswith("mlp_layer"))
    mlp_hidden = sorted(l.name for l in mlp.layers if l.name.startswith("mlp_layer"))
    if hidden != mlp_hidden:
        raise ValueError(
            f"neumf_from_parts: the mlp model has hidden layers {mlp_hidden}, the neumf {hidden}: build the "
            "parts with the same mlp_layers as the NeuMF."
        )
    for name in hidden:
        copies[name] = weights_of(mlp, "mlp", name, name)
    h_gmf, b_gmf = (np.asarray(w) for w in layer(gmf, "gmf", "prediction").get_weights())
    h_mlp, b_mlp = (np.asarray(w) for w in layer(mlp, "mlp", "prediction").get_weights())
    kernel = np.concatenate([alpha * h_gmf, (1.0 - alpha) * h_mlp], axis=0)
    bias = alpha * b_gmf + (1.0 - alpha) * b_mlp
    expected = [tuple(w.shape) for w in layer(neumf, "neumf", "prediction").get_weights()]
    if [kernel.shape, bias.shape] != expected:
        raise ValueError(
            f"neumf_from_parts: the gmf and mlp prediction kernels {h_gmf.shape} and {h_mlp.shape} stack to "
            f"{kernel.shape}, but neumf layer 'prediction' needs {expected[0]}."
        )
    copies["prediction"] = [kernel, bias]
    for name, weights in copies.items():  # every shape checked above: nothing is half-copied on error
        neumf.get_layer(name).set_weights(weights)
    return neumf
