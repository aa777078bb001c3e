"""Transfer learning: a new head, other input channels, a frozen backbone, a two-phase fine-tune.

Everything here relies on one contract that every zoo model keeps (see
`zoo.layers.classification_head`): the model ends with an optional `Dropout` named
`head_dropout`, a `Dense` named `head` and an optional `Activation` named `predictions`. The
input of `head` is the feature vector; every layer before it is the *backbone*. Nothing here
knows a family's internals: blocks are read from layer names (`backbone_blocks`), and a model is
rebuilt from the `ModelSpec` that `zoo.create_model` attaches as `model.zoo_spec`.

The recipe is the Keras transfer-learning guide's (https://keras.io/guides/transfer_learning/)
and timm's (`reset_classifier`, `adapt_input_conv`):

Example:
    >>> import keras_zoo as zoo, keras_zoo.transfer
    >>> model = zoo.create_model("resnet20", input_shape=(32, 32, 3))   # e.g. pretrained on CIFAR-10
    >>> model = zoo.transfer.replace_head(model, 5)                     # a new task with 5 classes
    >>> model = zoo.transfer.adapt_input_channels(model, 1)             # on grey images
    >>> histories = zoo.transfer.fine_tune(model, (x_train, y_train), (x_val, y_val))
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import keras
import numpy as np

from keras_zoo.layers import classification_head
from keras_zoo.models.base import check_positive
from keras_zoo.registry import check_input_shape, get_entry

HEAD = "head"
HEAD_DROPOUT = "head_dropout"
PREDICTIONS = "predictions"
_HEAD_LAYERS = (HEAD_DROPOUT, HEAD, PREDICTIONS)

ADAPT_METHODS = ("average", "replicate")

# The prefix of a layer name that names its block, tried left to right (the longer form first):
#   stem, conv1              the stem (zoo ResNet; keras.applications ResNet50, MobileNetV2 "Conv1")
#   stage2_block1            a residual block (zoo ResNet)
#   stage2                   a stage of a plain CNN (zoo CNN: "stage2_conv1")
#   conv3_block4             a residual block (keras.applications ResNet50: "conv3_block4_1_conv")
#   block_3                  an encoder block (zoo Transformer) or an inverted residual (MobileNetV2)
#   block6a, block2          an MBConv block (EfficientNet: "block6a_expand_conv"), a VGG block
#   dense_1, lstm_0, gru_1   a hidden layer of an MLP, CNN or RNN ("bidirectional_lstm_0" too)
# The prefix must be followed by "_" or end the name, so "conv1" does not match "conv12".
_BLOCK_PREFIX = re.compile(
    r"^(?:bidirectional_)?"
    r"(stem|stage\d+_block\d+|stage\d+|conv\d+_block\d+|conv\d+|block_\d+|block\d+[a-z]?|dense_\d+|lstm_\d+|gru_\d+)"
    r"(?=_|$)",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# The head


def replace_head(
    model: keras.Model,
    num_classes: int,
    *,
    classifier_activation: Any = "keep",
    dropout: Any = "keep",
) -> keras.Model:
    """A model with the same backbone and a freshly initialised head of `num_classes` outputs.

    As timm's `reset_classifier`: the new model is built on the old one's feature vector (the
    input of its `head_dropout`, or of `head` when there is no dropout), so it shares the backbone
    layers and their weights with `model` (training one trains the other's backbone too); only
    the head is new, made by `zoo.layers.classification_head`. The model keeps its name, and its
    `zoo_spec` records the new `num_classes`, `classifier_activation` and `head_dropout`, so that
    `model.zoo_spec.build()` makes the same architecture. Loading a checkpoint for another number
    of classes goes through this function.

    Args:
        model: a zoo model (any model that ends in a `Dense` layer named `"head"`).
        num_classes: outputs of the new head.
        classifier_activation: `"softmax"`, `"sigmoid"` or `None` (logits, or a regression value
            with `num_classes=1`); `"keep"` (the default) keeps the model's.
        dropout: rate of the dropout before the new head, in [0, 1); `"keep"` keeps the model's.

    Returns:
        A new `keras.Model`.

    Example:
        >>> model = zoo.create_model("resnet20")                 # 10 classes
        >>> model = zoo.transfer.replace_head(model, 100)        # CIFAR-100
        >>> model = zoo.transfer.replace_head(model, 1, classifier_activation="sigmoid")
    """
    head = _head(model)
    check_positive("num_classes", num_classes)
    if classifier_activation == "keep":
        classifier_activation = _classifier_activation(model)
    if classifier_activation not in ("softmax", "sigmoid", None):
        raise ValueError(
            "classifier_activation must be 'softmax', 'sigmoid', None or 'keep'. "
            f"Received: classifier_activation={classifier_activation!r}"
        )
    if num_classes == 1 and classifier_activation == "softmax":
        raise ValueError(
            "A softmax over one output is always 1.0: pass classifier_activation='sigmoid' for a binary "
            "classifier, or classifier_activation=None to predict a value. "
            "Received: num_classes=1, classifier_activation='softmax'"
        )
    if dropout == "keep":
        dropout = _head_dropout_rate(model)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1) or 'keep'. Received: dropout={dropout!r}")

    outputs = classification_head(
        _features(model, head), num_classes, activation=classifier_activation, dropout=float(dropout)
    )
    new = keras.Model(model.input, outputs, name=model.name)
    spec = getattr(model, "zoo_spec", None)
    if spec is not None:
        config = spec.config
        fields = {f.name for f in dataclasses.fields(config)}
        changes = {"classifier_activation": classifier_activation, "head_dropout": float(dropout)}
        config = dataclasses.replace(config, **{k: v for k, v in changes.items() if k in fields})
        new.zoo_spec = dataclasses.replace(spec, config=config, num_classes=num_classes)
    return new


def feature_extractor(model: keras.Model, *, stages: bool = False) -> keras.Model:
    """The model up to its features: same input, output = the input of the `head` layer.

    The extractor shares its layers and weights with `model`. Its output is the pooled features
    (taken before the head's dropout, which is the same at inference), `head.kernel.shape[0]`
    wide: embeddings for retrieval, a classical classifier, or a head of your own. A recommender
    (no `head`) gives the features its score is computed from: the input of its `prediction`
    layer (GMF, NCF, NeuMF), or its user and item vectors (`{"user": ..., "item": ...}`: MF, two
    towers).

    With `stages=True` (timm's `features_only`), the output is a dict: `"pooled"`, and one map per
    stage of the backbone, `"stage1"`, `"stage2"`, ... from the input on: a stage is a run of
    blocks (`backbone_blocks`) whose outputs have the same resolution, and its map is the last
    one's output. A CNN gives one map per resolution (`(n, h, w, c)`), a 1-D CNN, RNN or
    transformer its sequence (`(n, t, c)`); an MLP has none. Blocks without weights (the input
    rescaled, an audio model's spectrogram) are no stage; parallel branches of another length (a
    text CNN's filter widths) each count as one.

    Args:
        model: a zoo model (one that ends in a `Dense` layer named `"head"`, or a recommender).
        stages: add the per-stage maps.

    Returns:
        A `keras.Model` named `<model>_features`.

    Example:
        >>> model = zoo.create_model("resnet20")
        >>> features = zoo.transfer.feature_extractor(model).predict(images)   # (n, 64)
        >>> maps = zoo.transfer.feature_extractor(model, stages=True).predict(images)
        >>> {k: v.shape for k, v in maps.items()}   # stage1 (n, 32, 32, 16) ... stage3 (n, 8, 8, 64), pooled
    """
    if not _has_layer(model, HEAD) and isinstance(model, keras.Model) and _pair_features(model) is not None:
        if stages:
            raise ValueError(f"{model.name} scores (user, item) pairs from embeddings: it has no stages. "
                             "Use feature_extractor(model) for its features.")
        return keras.Model(model.input, _pair_features(model), name=f"{model.name}_features")
    pooled = _features(model, _head(model))
    outputs = {**stage_maps(model), "pooled": pooled} if stages else pooled
    return keras.Model(model.input, outputs, name=f"{model.name}_features")


def stage_maps(model: keras.Model) -> dict:
    """`{"stage1": tensor, ...}`: the output of each stage of the backbone (see `feature_extractor`)."""
    _head(model)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    consumers: dict[int, list] = {}
    for layer in layers:
        try:
            inputs = keras.tree.flatten(layer.input)
        except (AttributeError, ValueError):  # a layer called more than once has no single input
            continue
        for tensor in inputs:
            consumers.setdefault(id(tensor), []).append(layer)

    def is_map(layer):
        return len(layer.output.shape) >= 3

    exits = []
    for block in _blocks(layers):
        inside = {id(layer) for layer in block}
        # A block's map: the last of its maps that leaves it (or goes into the pooling).
        leaving = [layer for layer in block if is_map(layer) and any(
            id(c) not in inside or not is_map(c) for c in consumers.get(id(layer.output), []))]
        if leaving and any(layer.weights for layer in block):  # not the input as the network reads it
            exits.append(leaving[-1].output)
    maps = []
    for tensor in exits:
        if maps and tuple(maps[-1].shape[1:-1]) == tuple(tensor.shape[1:-1]):
            maps[-1] = tensor  # the same resolution: the stage goes on
        else:
            maps.append(tensor)
    return {f"stage{i}": tensor for i, tensor in enumerate(maps, start=1)}


def _blocks(layers: list) -> list[list]:
    """`layers` grouped by the block their names give (as `backbone_blocks`), the head left out."""
    groups: dict[str, list] = {}
    current = "<stem>"
    for layer in layers:
        if layer.name in _HEAD_LAYERS:
            continue
        match = _BLOCK_PREFIX.match(layer.name)
        if match:
            current = match.group(1).lower()
        groups.setdefault(current, []).append(layer)
    return list(groups.values())


def _pair_features(model: keras.Model):
    """A recommender's features: the input of its `prediction` layer, or the user and item vectors its
    `dot` or `score` layer multiplies; None for a model that is neither."""
    if _has_layer(model, "prediction"):
        return model.get_layer("prediction").input
    for name in ("dot", "score"):
        if _has_layer(model, name) and isinstance(model.get_layer(name), keras.layers.Dot):
            user, item = model.get_layer(name).input
            return {"user": user, "item": item}
    return None


# ---------------------------------------------------------------------------------------------
# Input channels


def adapt_input_channels(model: keras.Model, channels: int, *, method: str = "average") -> keras.Model:
    """The same model, rebuilt for inputs with `channels` channels, with its weights carried over.

    timm's `adapt_input_conv`: the architecture is rebuilt from `model.zoo_spec` for
    `input_shape[:-1] + (channels,)`, and every weight is copied from `model` layer by layer, in
    order. The only weights whose shape changes are the kernels that read the input channels
    (the first convolution, ViT's patch projection, a transformer's frame projection, the first
    dense layer of an MLP on flattened pixels); each is adapted from `C_old` to `C_new = channels`
    input channels:

    - `"average"`: every new channel gets the mean of the old channels' filters, times
      `C_old / C_new`. Going from 1 to 3 channels divides the grey filter by 3; from 3 to 1 sums
      the RGB filters. An input whose channels are all equal (a grey image, in any number of
      channels) gives exactly the activations it gave before.
    - `"replicate"`: new channel `j` gets old channel `j mod C_old`'s filter, times
      `C_old / C_new`: each old channel keeps its own filter (RGB to RGB + near-infrared, say).

    Per-channel statistics of the raw input (EfficientNet's Normalization mean and variance) are
    averaged or replicated the same way, unscaled. Weights the family's builder loads itself
    (`weights="imagenet"`) are not loaded again: the new spec says `weights=None`.

    Args:
        model: a zoo model built by `zoo.create_model` (it needs `model.zoo_spec`), on images
            `(height, width, channels)` or frames `(steps, features)`.
        channels: the new number of input channels.
        method: `"average"` or `"replicate"`.

    Returns:
        A new `keras.Model` (new weights; `model` is unchanged), with the same layers trainable.

    Example:
        >>> rgb = zoo.create_model("resnet20")                            # (32, 32, 3)
        >>> grey = zoo.transfer.adapt_input_channels(rgb, 1)              # (32, 32, 1)
    """
    check_positive("channels", channels)
    spec = _spec_of(model, "adapt_input_channels")
    dtype = keras.backend.standardize_dtype(model.inputs[0].dtype)
    if len(spec.input_shape) < 2 or "int" in dtype:
        raise ValueError(
            f"{spec.model} takes inputs of shape {spec.input_shape} ({dtype}) with no channel axis: only "
            "images (height, width, channels) and frames (steps, features) have input channels to adapt. "
            f"Received: model={model.name!r}"
        )
    return resize_input(model, (*spec.input_shape[:-1], channels), method=method)


def resize_input(model: keras.Model, input_shape: tuple[int, ...], *, method: str = "average") -> keras.Model:
    """The same model rebuilt for another input shape, its weights carried over.

    Another image size or sequence length keeps every weight as it is (convolutions and pooled
    features do not depend on it; a ViT's learned positions do, and are refused); another number
    of channels adapts the kernels that read them, as `adapt_input_channels` says.

    Args:
        model: a zoo model built by `zoo.create_model` (it needs `model.zoo_spec`).
        input_shape: the new shape of one example, batch axis excluded, of the same rank.
        method: `"average"` or `"replicate"`, for a change of channels.

    Example:
        >>> model = zoo.create_model("resnet20.digits")                       # (8, 8, 1)
        >>> model = zoo.transfer.resize_input(model, (32, 32, 3))             # CIFAR-sized RGB
    """
    if method not in ADAPT_METHODS:
        raise ValueError(f"method must be one of {ADAPT_METHODS}. Received: method={method!r}")
    spec = _spec_of(model, "resize_input")
    input_shape = tuple(input_shape)
    if len(input_shape) != len(spec.input_shape):
        raise ValueError(f"{spec.model} takes inputs like {spec.input_shape}. Received: input_shape={input_shape}")
    entry = get_entry(spec.model)
    check_input_shape(entry, spec.config, input_shape)
    old_channels, channels = spec.input_shape[-1], input_shape[-1]
    # The model's own weights are copied below: the builder need not load "imagenet" again (and
    # keras.applications refuses ImageNet weights for other than 3 channels).
    new = dataclasses.replace(spec.without_builtin_weights(), input_shape=input_shape).build()

    old_layers, new_layers = _leaf_layers(model), _leaf_layers(new)
    if len(old_layers) != len(new_layers):
        raise ValueError(
            f"The rebuilt model has {len(new_layers)} layers and the model {len(old_layers)}: was it changed "
            f"after zoo.create_model? Received: model={model.name!r}"
        )
    for old_layer, new_layer in zip(old_layers, new_layers):
        old_weights, new_weights = old_layer.weights, new_layer.weights
        if type(old_layer) is not type(new_layer) or len(old_weights) != len(new_weights):
            raise ValueError(
                f"The architectures do not line up: layer {old_layer.name!r} ({type(old_layer).__name__}, "
                f"{len(old_weights)} weights) against {new_layer.name!r} ({type(new_layer).__name__}, "
                f"{len(new_weights)} weights). Received: model={model.name!r}"
            )
        for old_w, new_w in zip(old_weights, new_weights):
            value = keras.ops.convert_to_numpy(old_w)
            if tuple(old_w.shape) != tuple(new_w.shape):
                if channels == old_channels:
                    raise ValueError(
                        f"{spec.model}'s layer {old_layer.name!r} has weights of shape {tuple(old_w.shape)} that "
                        f"depend on the input size {spec.input_shape} (e.g. learned positions), so they cannot be "
                        f"carried over to another size. Received: input_shape={input_shape}"
                    )
                value = _adapt_weight(value, tuple(new_w.shape), old_channels, channels, method, old_layer.name)
            new_w.assign(value)
        if hasattr(new_layer, "finalize_state"):  # a Normalization computes with copies of its variables
            new_layer.finalize_state()
        _set_trainable([new_layer], old_layer.trainable)
    return new


def _spec_of(model: keras.Model, what: str):
    spec = getattr(model, "zoo_spec", None)
    if spec is None:
        raise ValueError(
            f"{what} rebuilds the model from its spec, so it needs a model made by "
            f"zoo.create_model (which sets model.zoo_spec). Received: model={model.name!r}"
        )
    return spec


def _adapt_weight(value: np.ndarray, new_shape: tuple, c_old: int, c_new: int, method: str, name: str) -> np.ndarray:
    """A weight whose shape depends on the input channels, adapted as `adapt_input_channels` says.

    Two kinds qualify. A kernel `(..., k * c_old, out)` becomes `(..., k * c_new, out)`: Keras
    kernels keep their input axis second to last (`(in, out)` for Dense, `(kh, kw, in, out)` for
    Conv2D), and `k` is 1 but for a dense layer on flattened channels-last inputs, where input `i`
    is channel `i % c_old` of position `i // c_old`. A per-channel vector `(..., c_old)` becomes
    `(..., c_new)`: the statistics of a layer on the raw input (EfficientNet's Normalization).
    """
    old_shape = value.shape
    same_rank = len(new_shape) == len(old_shape) >= 1
    if same_rank and old_shape[:-1] == new_shape[:-1] and (old_shape[-1], new_shape[-1]) == (c_old, c_new):
        # A statistic of each channel, not a sum over channels: take the channels' values as they
        # are (their mean, or cyclically), unscaled.
        return _adapt_channels(value, c_new, method, axis=-1).astype(value.dtype)
    is_kernel = (
        same_rank
        and len(old_shape) >= 2
        and old_shape[:-2] == new_shape[:-2]
        and old_shape[-1] == new_shape[-1]
        and old_shape[-2] % c_old == 0
        and new_shape[-2] == old_shape[-2] // c_old * c_new
    )
    if not is_kernel:
        raise ValueError(
            f"The architectures do not line up: a weight of layer {name!r} is {old_shape} in the model and "
            f"{new_shape} in the rebuilt one, which is neither a kernel reading {c_old} -> {c_new} input "
            f"channels nor a per-channel vector. Received: channels={c_new}"
        )
    k = old_shape[-2] // c_old
    kernel = value.reshape(*old_shape[:-2], k, c_old, old_shape[-1])
    # A layer's output sums its kernel over the input channels. Scaling by c_old / c_new keeps
    # that sum (so the activations, and the batch norms' statistics after them) at the scale the
    # rest of the network was trained on: an input with all channels equal to x gives
    # sum_c W_c x = c_old * mean(W) x before and c_new * (c_old / c_new) * mean(W) x after.
    adapted = _adapt_channels(kernel, c_new, method, axis=-2) * (c_old / c_new)
    return adapted.reshape(new_shape).astype(value.dtype)


def _adapt_channels(value: np.ndarray, c_new: int, method: str, *, axis: int) -> np.ndarray:
    """`"average"`: the mean over `axis`, repeated `c_new` times; `"replicate"`: entry j is old j mod c_old."""
    if method == "average":
        return np.repeat(value.mean(axis=axis, keepdims=True), c_new, axis=axis)
    return np.take(value, np.arange(c_new) % value.shape[axis], axis=axis)


# ---------------------------------------------------------------------------------------------
# Freezing


def backbone_blocks(model: keras.Model) -> list[list[keras.layers.Layer]]:
    """The backbone's layers grouped into blocks, in order, read from the layer names.

    A layer whose name starts with a block prefix (`stem`, `conv1`, `stage2_block1`, `stage2`,
    `conv3_block4`, `block_3`, `block6a`, `dense_1`, `lstm_0`, ...; see `_BLOCK_PREFIX`) belongs
    to that block, even where the graph lists it among a later block's layers; any other layer
    joins the block of the layer before it (a ResNet v2's `post_bn`, a transformer's
    `encoder_norm`, MobileNetV2's `Conv_1`, the pooling), and the unnamed layers before the
    first block (a ViT's patch embedding and class token) form a block of their own, the stem.
    Blocks are ordered by their first layer, in the model's (topological) layer order.
    Layers of nested models (a keras.applications backbone used as a layer) are listed one by
    one. Input layers and the head (`head_dropout`, `head`, `predictions`) are left out.

    Args:
        model: a zoo model (any model that ends in a `Dense` layer named `"head"`).

    Returns:
        A list of blocks, each a list of layers, from the input to the head.

    Example:
        >>> model = zoo.create_model("resnet20")
        >>> [block[0].name for block in zoo.transfer.backbone_blocks(model)][:3]
        ['stem_conv', 'stage1_block1_conv1', 'stage1_block2_conv1']
    """
    _head(model)  # checks the contract
    groups: dict[str, list] = {}
    current = None
    for layer in _backbone_layers(model):
        match = _BLOCK_PREFIX.match(layer.name)
        if match:
            current = match.group(1).lower()
        elif current is None:
            current = "<stem>"
        groups.setdefault(current, []).append(layer)
    return list(groups.values())


def freeze_backbone(model: keras.Model, *, trainable_top_blocks: int = 0, freeze_batch_norm: bool = True) -> None:
    """Freeze every layer before the head, except the top `trainable_top_blocks` blocks.

    The blocks are those of `backbone_blocks`; the top N are the last N that hold weights (any N
    larger than their number unfreezes the whole backbone). The head layers are made trainable.

    A frozen `BatchNormalization` layer (`trainable=False`) runs in inference mode in Keras 3,
    even under `fit`: it normalises with its moving statistics and does not update them, as the
    Keras transfer-learning guide requires. With `freeze_batch_norm=True` (the default, the
    guide's advice) the batch norms of the unfrozen top blocks stay frozen too: fine-tuning
    batches are small, and their statistics would overwrite the pretrained ones.

    Changing `trainable` takes effect at the next `model.compile`: compile after freezing.

    Args:
        model: a zoo model (any model that ends in a `Dense` layer named `"head"`); changed in place.
        trainable_top_blocks: how many blocks at the top of the backbone stay trainable.
        freeze_batch_norm: keep the batch norms of those blocks frozen (inference mode).

    Example:
        >>> zoo.transfer.freeze_backbone(model)                          # train the head only
        >>> zoo.transfer.freeze_backbone(model, trainable_top_blocks=2)  # and the last 2 blocks
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=..., metrics=[...])
    """
    _head(model)  # checks the contract
    if isinstance(trainable_top_blocks, bool) or not isinstance(trainable_top_blocks, int) or trainable_top_blocks < 0:
        raise ValueError(
            f"trainable_top_blocks must be a non-negative int. Received: trainable_top_blocks={trainable_top_blocks!r}"
        )
    unfreeze(model)
    _set_trainable(_backbone_layers(model), False)
    with_weights = [block for block in backbone_blocks(model) if any(layer.weights for layer in block)]
    top = with_weights[len(with_weights) - trainable_top_blocks:] if trainable_top_blocks else []
    _set_trainable(
        [
            layer
            for block in top
            for layer in block
            if not (freeze_batch_norm and isinstance(layer, keras.layers.BatchNormalization))
        ],
        True,
    )


def unfreeze(model: keras.Model) -> None:
    """Make every layer of `model` trainable again (batch norms back in training mode under `fit`).

    Changing `trainable` takes effect at the next `model.compile`: compile after unfreezing.

    Example:
        >>> zoo.transfer.unfreeze(model)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=..., metrics=[...])
    """
    _set_trainable([model, *_all_layers(model)], True)


# ---------------------------------------------------------------------------------------------
# Fine-tuning


def default_loss_and_metrics(classifier_activation: str | None, num_classes: int) -> tuple[Any, list]:
    """The loss and metrics that fit a head: integer labels for softmax/logits, a value for regression."""
    if classifier_activation == "softmax":
        return keras.losses.SparseCategoricalCrossentropy(), ["accuracy"]
    if classifier_activation == "sigmoid":
        return keras.losses.BinaryCrossentropy(), ["binary_accuracy"]
    if num_classes == 1:  # no activation and one output: a regression value
        return keras.losses.MeanSquaredError(), ["mae"]
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]


def fine_tune(
    model: keras.Model,
    train_data: Any,
    validation_data: Any = None,
    *,
    head_epochs: int = 5,
    fine_tune_epochs: int = 5,
    unfreeze_top_blocks: int = 2,
    head_learning_rate: float = 1e-3,
    fine_tune_learning_rate: float = 1e-4,
    loss: Any = None,
    metrics: Any = None,
    callbacks: Any = None,
    verbose: Any = 0,
    **fit_kwargs: Any,
) -> dict[str, dict]:
    """Two-phase fine-tuning, as the Keras transfer-learning guide: the head, then the top blocks.

    Phase 1 freezes the backbone (`freeze_backbone`) and trains the head for `head_epochs` with
    Adam at `head_learning_rate`, so that a random head does not send large gradients into the
    pretrained features. Phase 2 unfreezes the top `unfreeze_top_blocks` blocks of the backbone
    (their batch norms stay frozen) and trains for `fine_tune_epochs` at the lower
    `fine_tune_learning_rate`; its epochs are numbered after phase 1's (for callbacks and logs).
    A phase with zero epochs is skipped. The model is compiled for each phase and is left as
    phase 2 (or 1) left it: call `unfreeze` to train it all.

    Args:
        model: a zoo model (any model that ends in a `Dense` layer named `"head"`); trained in place.
        train_data: a `tf.data.Dataset` of `(x, y)` batches, or an `(x, y)` tuple of arrays.
        validation_data: the same, for `fit`'s validation; or None.
        head_epochs: epochs of phase 1 (0 skips it).
        fine_tune_epochs: epochs of phase 2 (0 skips it).
        unfreeze_top_blocks: blocks at the top of the backbone trained in phase 2.
        head_learning_rate: Adam's learning rate in phase 1.
        fine_tune_learning_rate: Adam's learning rate in phase 2, typically 10x lower.
        loss: a Keras loss; by default the one that fits the head
            (`default_loss_and_metrics`): sparse cross-entropy for softmax or logits,
            binary cross-entropy for sigmoid, mean squared error for one unactivated output.
        metrics: Keras metrics; by default those that fit the head.
        callbacks: Keras callbacks, used in both phases.
        verbose: `fit`'s verbosity.
        **fit_kwargs: more arguments for `fit` (`batch_size`, `class_weight`, ...), not `epochs`.

    Returns:
        `{"head": history, "fine_tune": history}`, each `fit`'s `History.history` (a dict of
        per-epoch lists, e.g. `{"loss": [...], "val_accuracy": [...]}`), empty for a skipped phase.

    Example:
        >>> model = zoo.transfer.replace_head(zoo.create_model("resnet20"), 5)
        >>> histories = zoo.transfer.fine_tune(model, train_ds, val_ds, head_epochs=3, fine_tune_epochs=10)
        >>> histories["fine_tune"]["val_accuracy"][-1]
    """
    head = _head(model)
    for name, value in (("head_epochs", head_epochs), ("fine_tune_epochs", fine_tune_epochs),
                        ("unfreeze_top_blocks", unfreeze_top_blocks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int. Received: {name}={value!r}")
    for name, value in (("head_learning_rate", head_learning_rate), ("fine_tune_learning_rate", fine_tune_learning_rate)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number. Received: {name}={value!r}")
    for name in ("epochs", "initial_epoch", "x", "y"):
        if name in fit_kwargs:
            raise ValueError(
                f"fine_tune sets {name} itself: pass train_data, head_epochs and fine_tune_epochs. "
                f"Received: {name}={fit_kwargs[name]!r}"
            )
    if loss is None or metrics is None:
        default_loss, default_metrics = default_loss_and_metrics(_classifier_activation(model), head.units)
        loss = default_loss if loss is None else loss
        metrics = default_metrics if metrics is None else metrics
    if isinstance(train_data, tuple):
        if len(train_data) != 2:
            raise ValueError(
                f"train_data must be a tf.data.Dataset or an (x, y) tuple. Received: train_data=a tuple of {len(train_data)}"
            )
        x, y = train_data
    else:
        x, y = train_data, None
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):  # fit cannot shuffle a dataset, and warns when asked to (its default)
            fit_kwargs.setdefault("shuffle", False)

    phases = (
        ("head", head_epochs, 0, head_learning_rate),
        ("fine_tune", fine_tune_epochs, unfreeze_top_blocks, fine_tune_learning_rate),
    )
    histories: dict[str, dict] = {}
    done = 0
    for phase, epochs, top_blocks, learning_rate in phases:
        if not epochs:
            histories[phase] = {}
            continue
        freeze_backbone(model, trainable_top_blocks=top_blocks)
        # Compile after changing `trainable`: the train step is traced with the trainable weights.
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=list(metrics))
        history = model.fit(
            x,
            y,
            validation_data=validation_data,
            epochs=done + epochs,
            initial_epoch=done,
            callbacks=callbacks,
            verbose=verbose,
            **fit_kwargs,
        )
        histories[phase] = dict(history.history)
        done += epochs
    return histories


# ---------------------------------------------------------------------------------------------
# The head contract


def _head(model: Any) -> keras.layers.Dense:
    """The `Dense` layer named `head` of a functional model, or a ValueError saying what is needed."""
    hint = (
        "zoo.transfer needs a functional model that ends in a Dense layer named 'head' (then optionally an "
        "Activation named 'predictions'), as every zoo model does: build one with zoo.create_model"
    )
    if not isinstance(model, keras.Model):
        raise ValueError(f"{hint}. Received: model={model!r}")
    try:
        head = model.get_layer(HEAD)
    except ValueError:
        raise ValueError(f"{hint}; this model has no layer named 'head'. Received: model={model.name!r}") from None
    if not isinstance(head, keras.layers.Dense):
        raise ValueError(f"{hint}; its 'head' is a {type(head).__name__}. Received: model={model.name!r}")
    try:
        model.input  # noqa: B018  (a subclassed or unbuilt model has no symbolic input)
        head.input  # noqa: B018
    except (AttributeError, ValueError):
        raise ValueError(f"{hint}; this one is not functional (or not built). Received: model={model.name!r}") from None
    return head


def _features(model: keras.Model, head: keras.layers.Dense):
    """The feature vector: the input of the head's dropout when there is one, else of the head."""
    features = head.input
    try:
        dropout = model.get_layer(HEAD_DROPOUT)
    except ValueError:
        return features
    return dropout.input if dropout.output is features else features


def _classifier_activation(model: keras.Model) -> str | None:
    try:
        layer = model.get_layer(PREDICTIONS)
    except ValueError:
        return None
    return layer.get_config()["activation"]


def _head_dropout_rate(model: keras.Model) -> float:
    try:
        return float(model.get_layer(HEAD_DROPOUT).rate)
    except ValueError:
        return 0.0


def _set_trainable(layers, value: bool) -> None:
    for layer in layers:
        # Not `layer.trainable = value`: on the TensorFlow backend, Keras's attribute tracking
        # skips an assignment of the value an attribute already holds (`True is True`), and with
        # it the setter that passes the value on to the layer's variables and sublayers; so
        # `model.trainable = True` on a model with frozen layers would leave them frozen.
        keras.layers.Layer.trainable.fset(layer, value)


def _all_layers(model: keras.Model) -> list:
    """The layers of `model`, in order, nested models included along with their own layers."""
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if isinstance(layer, keras.Model):
            layers.extend(_all_layers(layer))
    return layers


def _leaf_layers(model: keras.Model) -> list:
    """The layers of `model`, in order, with nested models (e.g. a keras.applications backbone) opened."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_leaf_layers(layer))
        else:
            layers.append(layer)
    return layers


def _backbone_layers(model: keras.Model) -> list:
    """Every layer before the head, nested ones opened, input layers left out."""
    head_layers = {id(model.get_layer(n)) for n in _HEAD_LAYERS if _has_layer(model, n)}
    return [
        layer
        for layer in _leaf_layers(model)
        if id(layer) not in head_layers and not isinstance(layer, keras.layers.InputLayer)
    ]


def _has_layer(model: keras.Model, name: str) -> bool:
    try:
        model.get_layer(name)
    except ValueError:
        return False
    return True
