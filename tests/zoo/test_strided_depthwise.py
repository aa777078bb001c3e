"""`zoo.layers.DepthwiseConv2D`: unequal strides give what a strided depthwise convolution gives, on any CPU."""

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo.layers import DepthwiseConv2D


def reference(x, kernel, bias, strides, padding):
    """A depthwise convolution in NumPy, padded as TensorFlow pads ("same": the smaller half before)."""
    pads = []
    for n, k, s in zip(x.shape[1:3], kernel.shape[:2], strides):
        total = max((-(-n // s) - 1) * s + k - n, 0) if padding == "same" else 0
        pads.append((total // 2, total - total // 2))
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    rows = (xp.shape[1] - kernel.shape[0]) // strides[0] + 1
    cols = (xp.shape[2] - kernel.shape[1]) // strides[1] + 1
    out = np.zeros((x.shape[0], rows, cols, x.shape[3]), "float32")
    for i in range(rows):
        for j in range(cols):
            window = xp[:, i * strides[0]:i * strides[0] + kernel.shape[0], j * strides[1]:j * strides[1] + kernel.shape[1]]
            out[:, i, j] = (window * kernel[..., 0]).sum(axis=(1, 2)) + bias
    return out


@pytest.mark.parametrize("size, kernel, strides, padding", [
    ((20, 7), (3, 1), (2, 1), "same"),  # BC-ResNet's frequency stride, an even number of bands
    ((21, 6), (3, 1), (2, 1), "same"),
    ((10, 7), (2, 3), (1, 2), "same"),
    ((11, 5), (3, 3), (2, 3), "same"),
    ((9, 8), (3, 2), (3, 1), "valid"),
    ((8, 8), (3, 3), (2, 2), "same"),  # equal strides: Keras' own layer
])
def test_unequal_strides_match_a_strided_depthwise_convolution(size, kernel, strides, padding):
    x = np.random.default_rng(0).normal(size=(2, *size, 3)).astype("float32")
    layer = DepthwiseConv2D(kernel, strides=strides, padding=padding)
    got = layer(x).numpy()
    expected = reference(x, layer.kernel.numpy(), layer.bias.numpy(), strides, padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bc_resnet_trains_and_round_trips_with_it(tmp_path):
    import keras

    model = zoo.create_model("bc_resnet_1", num_classes=3)
    assert any(type(layer) is DepthwiseConv2D for layer in model.layers)
    x = np.random.default_rng(0).normal(size=(2, *model.input_shape[1:])).astype("float32")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.array([0, 1]), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
