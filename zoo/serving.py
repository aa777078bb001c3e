"""Inference fast paths: batch normalisation folded into the layer before it.

At inference a `BatchNormalization` is a fixed per-channel affine map, y = s * (x - mean) + beta
with s = gamma / sqrt(var + epsilon). When it directly follows a `Conv2D` or `Dense` whose output
nothing else reads, the map can be folded into that layer's kernel and bias (W' = W * s,
b' = s * (b - mean) + beta), and the normalisation layer disappears. The folded model computes
the same function (to float32 rounding) with fewer operations, for serving and export; it is not
for training, where batch statistics are used.

Example:
    >>> served = zoo.fold_batchnorm(zoo.create_model("resnet50"))
    >>> served.predict(images)  # the same predictions, sooner
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `import zoo` imports this module: numpy and Keras load only when a model is folded
    import numpy as np


def _producer(layer):
    """The single layer whose output `layer` reads, if it reads exactly one and is called once; else None."""
    nodes = getattr(layer, "_inbound_nodes", [])
    if len(nodes) != 1 or len(nodes[0].parent_nodes) != 1:
        return None
    return nodes[0].parent_nodes[0].operation


def foldable_pairs(model) -> dict[str, str]:
    """`{batchnorm name: layer name}` for each normalisation that can be folded into the layer before it."""
    import keras

    from keras_zoo.layers import BatchNormalization

    # Exactly these classes: at inference each is one per-channel affine map. A subclass may
    # normalise otherwise (SubSpectralNorm keeps statistics per frequency band and channel).
    plain = (keras.layers.BatchNormalization, BatchNormalization)
    pairs = {}
    for layer in model.layers:
        if type(layer) not in plain:
            continue
        rank = len(layer.input.shape)
        if layer.axis not in (-1, rank - 1) or len(layer._inbound_nodes) != 1:
            continue
        before = _producer(layer)
        if (isinstance(before, (keras.layers.Conv2D, keras.layers.Dense)) and type(before).__name__ in ("Conv2D", "Dense")
                and before.activation is keras.activations.linear and len(before._outbound_nodes) == 1
                and len(before._inbound_nodes) == 1):
            pairs[layer.name] = before.name
    return pairs


def fold_batchnorm(model):
    """A copy of the functional `model` with every foldable `BatchNormalization` folded into its `Conv2D`/`Dense`.

    Layers of nested models are left as they are. The original model is not changed.

    Raises:
        ValueError: `model` is not a functional Keras model.
    """
    import keras

    from keras_zoo.layers import FoldedNormalization

    if not isinstance(model, keras.Model) or not hasattr(model, "_inbound_nodes") or not hasattr(model, "inputs") \
            or isinstance(model, keras.Sequential) or not model.inputs:
        raise ValueError(f"fold_batchnorm takes a functional Keras model (zoo.create_model makes them). "
                         f"Received: {type(model).__name__}")
    pairs = foldable_pairs(model)
    folded_into = set(pairs.values())

    def clone(layer):
        if layer.name in pairs:  # the normalisation vanishes: its map is in the layer before
            return FoldedNormalization(name=layer.name)
        config = layer.get_config()
        if layer.name in folded_into:
            config["use_bias"] = True
        return layer.__class__.from_config(config)

    served = keras.models.clone_model(model, clone_function=clone)
    originals = {layer.name: layer for layer in model.layers}
    for layer in served.layers:
        if layer.name in pairs or not layer.weights:  # (input layers may be renamed by the cloning)
            continue
        source = originals[layer.name]
        if layer.name in folded_into:
            bn = originals[next(b for b, c in pairs.items() if c == layer.name)]
            layer.set_weights(_folded(source, bn))
        elif source.weights:
            layer.set_weights(source.get_weights())
    return served


def _folded(layer, bn) -> list[np.ndarray]:
    import numpy as np

    kernel = np.asarray(layer.kernel)
    bias = np.asarray(layer.bias) if layer.use_bias else np.zeros(kernel.shape[-1], kernel.dtype)
    gamma = np.asarray(bn.gamma) if bn.scale else np.ones_like(bias)
    beta = np.asarray(bn.beta) if bn.center else np.zeros_like(bias)
    scale = gamma / np.sqrt(np.asarray(bn.moving_variance) + bn.epsilon)
    return [kernel * scale, (bias - np.asarray(bn.moving_mean)) * scale + beta]
