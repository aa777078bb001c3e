"""Plots of an image classifier, and Grad-CAM against an exact oracle and on a trained CNN."""

from __future__ import annotations

import io

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

import keras_zoo as zoo
from keras_zoo.applications.vision.augment import DIGITS_AUGMENT, augmentation_layers
from keras_zoo.applications.vision.plots import grad_cam, grad_cam_figure, is_convolutional, most_confused, prediction_grid

CLASSES = ("square", "cross")


def _render(figure):
    assert isinstance(figure, Figure)
    figure.savefig(io.BytesIO(), format="png")


def _shapes(n, seed):
    """16x16 noise with one shape, at a random place in a random half: a filled square (class 0)
    or a cross (class 1). Returns images, labels and the half (0 left, 1 right) holding the shape."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 16, 16, 1)).astype("float32") * 0.2
    y, half = rng.integers(0, 2, n), rng.integers(0, 2, n)
    for i in range(n):
        r, c = rng.integers(0, 11), rng.integers(0, 4) + 8 * half[i]
        if y[i] == 0:
            x[i, r:r + 5, c:c + 5] = 1.0
        else:
            x[i, r + 2, c:c + 5] = x[i, r:r + 5, c + 2] = 1.0
    return x, y.astype("int32"), half


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    x, y, _ = _shapes(400, seed=0)
    model = zoo.create_model("cnn_small", input_shape=(16, 16, 1), num_classes=2)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    return model


# ---------------------------------------------------------------------------------------------
# Grad-CAM


def test_grad_cam_shape_range_and_nesting():
    model = zoo.create_model("cnn_small", input_shape=(16, 16, 1), num_classes=2)
    image = np.random.default_rng(0).random((16, 16, 1)).astype("float32")
    heat = grad_cam(model, image)
    assert heat.shape == (16, 16) and heat.dtype == np.float32 and np.all(np.isfinite(heat))
    assert 0.0 <= heat.min() and heat.max() <= 1.0
    # The same CNN behind augmentation layers, as a functional and as a sequential model: the
    # feature map is found inside the nested model, and the map is the same.
    inputs = keras.Input((16, 16, 1))
    x = inputs
    for layer in augmentation_layers(DIGITS_AUGMENT):
        x = layer(x)
    wrapped = keras.Model(inputs, model(x))
    sequential = keras.Sequential([keras.Input((16, 16, 1)), *augmentation_layers(DIGITS_AUGMENT), model])
    for outer in (wrapped, sequential):
        assert is_convolutional(outer)
        np.testing.assert_allclose(grad_cam(outer, image), heat, atol=1e-5)
    np.testing.assert_allclose(grad_cam(model, image, layer_name="stage2_pool"), heat, atol=1e-6)
    assert grad_cam(model, image, layer_name="stage1_conv1", class_index=1).shape == (16, 16)
    with pytest.raises(ValueError, match="no layer 'nope'"):
        grad_cam(model, image, layer_name="nope")


def test_grad_cam_matches_the_formula_on_a_model_with_known_weights():
    # conv = the image (a 1x1 identity convolution), head = [mean, -mean]: for class 0 every
    # gradient is +1/64, so Grad-CAM = ReLU(image) / max = image / max; for class 1 it is 0.
    inputs = keras.Input((8, 8, 1))
    conv = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones", name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(conv)
    logits = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant([[1.0, -1.0]]), name="head")(pooled)
    model = keras.Model(inputs, keras.layers.Activation("softmax", name="predictions")(logits))
    image = np.random.default_rng(1).random((8, 8, 1)).astype("float32")
    np.testing.assert_allclose(grad_cam(model, image, class_index=0), image[..., 0] / image.max(), atol=1e-5)
    np.testing.assert_array_equal(grad_cam(model, image, class_index=1), np.zeros((8, 8)))


def test_grad_cam_finds_the_object(trained):
    x, y, half = _shapes(40, seed=1)
    assert trained.evaluate(x, y, verbose=0)[1] >= 0.95
    heat = np.stack([grad_cam(trained, image) for image in x])
    left, right = heat[:, :, :8].sum((1, 2)), heat[:, :, 8:].sum((1, 2))
    on_object_half = np.where(half == 0, left > right, right > left)
    # Two classes need only one detector: the other class can be told by the detector's silence,
    # and its heat map then marks the background. So the check is that the evidence of at least
    # one class lies on the half that holds the shape, nearly always (chance would be 50%).
    assert max(on_object_half[y == k].mean() for k in (0, 1)) >= 0.9


def test_no_convolution_no_grad_cam():
    mlp = zoo.create_model("mlp_small", input_shape=(16, 16, 1), num_classes=2)
    vit = zoo.create_model("vit_tiny", input_shape=(16, 16, 1), num_classes=2)
    for model in (mlp, vit):
        assert not is_convolutional(model)
        with pytest.raises(ValueError, match="model has no convolutional layer"):
            grad_cam(model, np.zeros((16, 16, 1), "float32"))


# ---------------------------------------------------------------------------------------------
# Figures


def test_prediction_grid_and_most_confused():
    x, y, _ = _shapes(30, seed=2)
    probs = np.tile([[0.9, 0.1]], (30, 1)).astype("float32")  # always "square": the crosses are wrong
    predicted = probs.argmax(-1)
    figure = prediction_grid(x, y, predicted, CLASSES)
    assert len(figure.axes) == 25
    _render(figure)
    assert len(prediction_grid(x[:7], y[:7], predicted[:7], CLASSES, probs=probs[:7]).axes) == 7
    wrong = int(np.sum(predicted != y))
    figure = most_confused(x, y, probs, CLASSES, n=4)
    assert len(figure.axes) == min(4, wrong) and all("(cross)" in ax.get_title() for ax in figure.axes)
    _render(figure)
    assert len(most_confused(x, y, probs, CLASSES, n=100).axes) == wrong
    assert len(most_confused(x[y == 0], y[y == 0], probs[y == 0], CLASSES).axes) == 1  # "no wrong predictions"


def test_grad_cam_figure(trained):
    x, _, _ = _shapes(10, seed=3)
    figure = grad_cam_figure(trained, x, CLASSES, n=6)
    assert len(figure.axes) == 12  # the images, and the heat maps over them
    _render(figure)
