"""Plots of an image classifier: predictions, its most confident mistakes, and Grad-CAM.

Each function returns a `matplotlib.figure.Figure` made without pyplot (no global state, no
window; safe in threads and tests): the caller saves it with `figure.savefig(path)`.

Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391) shows where a convolutional
network looked: the gradient of a class's score with respect to the last convolutional feature
map, averaged over the map, weights its channels; the ReLU of the weighted sum, upsampled to
the image, is the heat map. The recipe follows the Keras example
(https://keras.io/examples/vision/grad_cam/), extended to feature maps inside nested models.

Example:
    >>> figure = prediction_grid(x_test, y_test, model.predict(x_test).argmax(-1), class_names)
    >>> figure.savefig("plots/predictions.png")
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

CORRECT, WRONG = "tab:green", "tab:red"


def prediction_grid(images, true_labels, pred_labels, class_names, *, probs=None, n: int = 25) -> Figure:
    """The first `n` images, titled "pred (true)": green when right, red when wrong.

    Args:
        images: `(N, height, width, channels)` in [0, 1].
        true_labels: `(N,)` int labels.
        pred_labels: `(N,)` predicted int labels.
        class_names: a name for each label.
        probs: optional; `(N, classes)` probabilities (the predicted class's is shown) or `(N,)`
            confidences.
        n: how many images to show.
    """
    images = np.asarray(images)
    true_labels, pred_labels = np.asarray(true_labels).reshape(-1), np.asarray(pred_labels).reshape(-1)
    k = min(n, len(images))
    confidence = None if probs is None else _confidence(np.asarray(probs), pred_labels)
    figure, axes = _grid_figure(k)
    for i, ax in zip(range(k), axes):
        shown = "" if confidence is None else f" {confidence[i]:.0%}"
        _show(ax, images[i])
        ax.set_title(f"{class_names[pred_labels[i]]}{shown} ({class_names[true_labels[i]]})",
                     color=CORRECT if pred_labels[i] == true_labels[i] else WRONG, fontsize=8)
    wrong = int(np.sum(pred_labels[:k] != true_labels[:k]))
    figure.suptitle(f"Predictions (true label in brackets): {k - wrong} right, {wrong} wrong of {k}")
    return figure


def most_confused(images, true_labels, probs, class_names, *, n: int = 16) -> Figure:
    """The wrong predictions the model was most sure of, most confident first.

    Args:
        images: `(N, height, width, channels)` in [0, 1].
        true_labels: `(N,)` int labels.
        probs: `(N, classes)` predicted probabilities.
        class_names: a name for each label.
        n: at most this many mistakes.
    """
    images, probs = np.asarray(images), np.asarray(probs)
    true_labels = np.asarray(true_labels).reshape(-1)
    pred_labels, confidence = probs.argmax(-1), probs.max(-1)
    wrong = np.flatnonzero(pred_labels != true_labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:n]
    if not len(order):
        figure = Figure(figsize=(4, 2), layout="constrained")
        ax = figure.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, f"No wrong predictions among {len(true_labels)} images", ha="center", va="center")
        return figure
    figure, axes = _grid_figure(len(order))
    for ax, i in zip(axes, order):
        _show(ax, images[i])
        ax.set_title(f"{class_names[pred_labels[i]]} {confidence[i]:.0%} ({class_names[true_labels[i]]})",
                     color=WRONG, fontsize=8)
    figure.suptitle(f"The {len(order)} most confident mistakes: predicted, confidence (true); "
                    f"{len(wrong)} wrong of {len(true_labels)}")
    return figure


def is_convolutional(model) -> bool:
    """True when the model pools a convolutional feature map into its features (Grad-CAM applies).

    That is: it has a convolution, and after its last 4-D output (batch, height, width,
    channels) no layer turns the map into a sequence of tokens, as a ViT's patch embedding does.
    Models nested inside `model` (a keras.applications backbone, a zoo model behind
    augmentation layers) are searched too.
    """
    return _default_feature_layer(model) is not None


def grad_cam(model, image, *, class_index=None, layer_name=None) -> np.ndarray:
    """The Grad-CAM heat map of one image: `(height, width)` float32 in [0, 1].

    Args:
        model: a Keras image classifier (functional or sequential, nested models allowed).
        image: `(height, width, channels)` (or `(height, width)`), as the model takes it.
        class_index: the class to explain; the predicted class by default.
        layer_name: the layer whose output is the feature map; by default the last layer with
            a 4-D output after the convolutions (see `is_convolutional`).

    Returns:
        The heat map, upsampled to the image's height and width and scaled so that its maximum
        is 1 (all zeros when no location speaks for the class).

    Raises:
        ValueError: "model has no convolutional layer" (an MLP, a ViT), or an unknown layer_name.

    Example:
        >>> heat = grad_cam(model, x_test[0])
    """
    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = image[..., None]
    heat, _ = _grad_cams(model, image[None], class_index=class_index, layer_name=layer_name)
    return heat[0]


def grad_cam_figure(model, images, class_names, *, n: int = 8) -> Figure:
    """The first `n` images over their Grad-CAM heat maps, titled with the predicted class.

    Two rows: the images, and the heat maps (red = where the predicted class's evidence is)
    laid over them. 2 x min(n, len(images)) axes.
    """
    images = np.asarray(images, dtype="float32")[:n]
    heat, probs = _grad_cams(model, images)
    k = len(images)
    figure = Figure(figsize=(1.7 * k + 0.5, 4.0), layout="constrained")
    for i in range(k):
        _show(figure.add_subplot(2, k, i + 1), images[i])
    for i in range(k):
        ax = figure.add_subplot(2, k, k + i + 1)
        _show(ax, images[i])
        ax.imshow(heat[i], cmap="jet", alpha=0.45, vmin=0, vmax=1, interpolation="bilinear")
        predicted = _predicted(probs[i])
        ax.set_title(f"{class_names[predicted]} {_confidence(probs[i:i + 1], np.array([predicted]))[0]:.0%}",
                     fontsize=8)
    figure.suptitle("Grad-CAM: where the evidence for the predicted class lies")
    return figure


# ---------------------------------------------------------------------------------------------
# Grad-CAM


def _grad_cams(model, images, *, class_index=None, layer_name=None):
    """Heat maps `(n, height, width)` and the model's outputs `(n, outputs)` for a batch of images."""
    import tensorflow as tf

    feature_path = _find_layer(model, layer_name) if layer_name else _default_feature_layer(model)
    if feature_path is None:
        raise ValueError(f"Grad-CAM needs a convolutional feature map, and model has no convolutional layer "
                         f"(an MLP or a Transformer). Received: model={model.name!r}")
    head_path = _find_layer(model, "head", required=False)  # zoo models: explain the logit, not the softmax
    paths = [feature_path] + ([head_path] if head_path else [])
    tapped = _tap(model, paths)

    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)  # records every op from the input on, also when the model is frozen
        feature_map, *rest = tapped(x, training=False)
        output = rest[-1]
        score = rest[0] if head_path else output
        classes = (np.full(len(images), class_index) if class_index is not None
                   else np.array([_predicted(row) for row in np.asarray(output)]))
        if score.shape[-1] == 1:  # one sigmoid unit: the score of class 0 is the negative logit
            sign = tf.constant(np.where(classes == 1, 1.0, -1.0), dtype=score.dtype)
            chosen = sign * score[:, 0]
        else:
            chosen = tf.gather(score, classes, axis=1, batch_dims=1)
        total = tf.reduce_sum(chosen)
    gradients = tape.gradient(total, feature_map)
    if gradients is None:
        raise ValueError(f"The model's output does not depend on layer {feature_path[-1].name!r}.")
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)  # one weight per channel
    cam = tf.nn.relu(tf.reduce_sum(weights * feature_map, axis=-1, keepdims=True))
    cam = tf.image.resize(cam, images.shape[1:3], method="bilinear")[..., 0].numpy()
    top = cam.reshape(len(cam), -1).max(axis=1).reshape(-1, 1, 1)
    cam = np.divide(cam, top, out=np.zeros_like(cam), where=top > 0)
    return np.clip(cam, 0.0, 1.0).astype("float32"), np.asarray(output)


def _leaf_paths(model, prefix=()):
    """`(nested models..., layer)` for every layer of `model`, nested models opened, in order."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_paths(layer, (*prefix, layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            yield (*prefix, layer)


def _output_rank(layer):
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):  # not called, or called more than once
        return None


def _default_feature_layer(model):
    """The path to the last 4-D output after a convolution, when no token sequence follows it."""
    import keras

    convolutions = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D,
                    keras.layers.Conv2DTranspose)
    seen_conv, candidate, tokens_after = False, None, False
    for path in _leaf_paths(model):
        layer = path[-1]
        seen_conv = seen_conv or isinstance(layer, convolutions)
        rank = _output_rank(layer)
        if seen_conv and rank == 4:
            candidate, tokens_after = path, False
        elif candidate is not None and rank == 3:
            tokens_after = True
    return None if tokens_after else candidate


def _find_layer(model, name, *, required=True):
    path = next((p for p in _leaf_paths(model) if p[-1].name == name), None)
    if path is not None or not required:
        return path
    four_d = [path[-1].name for path in _leaf_paths(model) if _output_rank(path[-1]) == 4]
    raise ValueError(f"The model has no layer {name!r}; layers with a 4-D output: {four_d}. "
                     f"Received: layer_name={name!r}")


def _tap(model, paths):
    """A model from `model`'s inputs to `[the output of each path's layer..., model's output]`.

    A path is `(nested model, ..., layer)`. A layer of `model` itself could be read as
    `layer.output`, but one inside a nested model lives in that model's own graph; so the graph
    is rebuilt (sharing every layer and weight) with each nested model on a path replaced by its
    own tapped version, recursively, and the tapped tensors collected on the way.
    """
    import keras

    inner, direct = {}, {}
    for k, path in enumerate(paths):
        if len(path) == 1:
            direct.setdefault(id(path[0]), []).append(k)
        else:
            inner.setdefault(id(path[0]), (path[0], []))[1].append(k)
    inner = {key: (_tap(nested, [paths[k][1:] for k in ks]), ks) for key, (nested, ks) in inner.items()}
    captured = {}

    def call(layer, *args, **kwargs):
        if id(layer) in inner:
            tapped, ks = inner[id(layer)]
            outputs = tapped(*args, **kwargs)
            captured.update(zip(ks, outputs))
            result = outputs[len(ks):]
            result = result[0] if len(result) == 1 else result
        else:
            result = layer(*args, **kwargs)
        for k in direct.get(id(layer), ()):
            captured[k] = result
        return result

    if isinstance(model, keras.Sequential):  # clone_model takes no call_function for these
        inputs = keras.Input(batch_shape=model.inputs[0].shape, dtype=model.inputs[0].dtype)
        x = inputs
        for layer in model.layers:
            x = call(layer, x)
        outputs = [x]
    else:
        rebuilt = keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call)
        inputs, outputs = rebuilt.inputs, list(rebuilt.outputs)
    return keras.Model(inputs, [captured[k] for k in range(len(paths))] + outputs)


# ---------------------------------------------------------------------------------------------
# Drawing


def _grid_figure(k: int):
    """A figure with `k` image axes in a near-square grid (at least one axis)."""
    k = max(k, 1)
    cols = math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    figure = Figure(figsize=(1.6 * cols + 0.4, 1.8 * rows + 0.6), layout="constrained")
    return figure, [figure.add_subplot(rows, cols, i + 1) for i in range(k)]


def _show(ax, image) -> None:
    image = np.clip(np.asarray(image, dtype="float32"), 0.0, 1.0)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set(xticks=[], yticks=[])


def _predicted(row) -> int:
    row = np.asarray(row).reshape(-1)
    return int(row[0] > 0.5) if row.size == 1 else int(row.argmax())


def _confidence(probs: np.ndarray, pred_labels: np.ndarray) -> np.ndarray:
    if probs.ndim == 1:
        return probs
    if probs.shape[-1] == 1:  # one sigmoid unit
        p = probs[:, 0]
        return np.where(pred_labels == 1, p, 1 - p)
    return probs[np.arange(len(probs)), pred_labels]
