"""`zoo.fold_batchnorm`: the serving form of a model computes what the model computes, without its batch norms."""

import keras
import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo.serving import foldable_pairs


def _with_running_statistics(model, seed=0):
    """Batch norms with the statistics of a trained network, not the identity they start as."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = layer.gamma.shape
            layer.set_weights([rng.uniform(0.8, 1.2, shape), rng.normal(0, 0.1, shape), rng.normal(0, 0.1, shape),
                               rng.uniform(0.8, 1.2, shape)])
    return model


@pytest.mark.parametrize("name,shape", [("resnet20", (32, 32, 3)), ("resnet18", (64, 64, 3))])
def test_folding_keeps_the_outputs_and_removes_every_batch_norm(name, shape, tmp_path):
    model = _with_running_statistics(zoo.create_model(name, input_shape=shape, num_classes=10,
                                                      classifier_activation=None))
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(foldable_pairs(model)) == len(norms) > 0
    served = zoo.fold_batchnorm(model)
    assert not [layer for layer in served.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert served.count_params() < model.count_params()
    x = np.random.default_rng(1).standard_normal((4, *shape)).astype("float32")
    expected = model(x, training=False).numpy()
    np.testing.assert_allclose(served(x, training=False).numpy(), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    served.save(tmp_path / "served.keras")  # it exports and loads in safe mode
    np.testing.assert_allclose(zoo.load_model(tmp_path / "served.keras")(x).numpy(), served(x).numpy(), rtol=1e-6)


def test_a_batch_norm_after_an_activation_or_a_shared_layer_is_left_alone():
    inputs = keras.Input((8,))
    dense = keras.layers.Dense(4, activation="relu")  # the norm would have to come before the relu
    x = keras.layers.BatchNormalization()(dense(inputs))
    plain = keras.layers.Dense(4)(inputs)
    y = keras.layers.BatchNormalization()(plain)
    z = keras.layers.Add()([plain, y])  # plain's output is read twice: folding would change z
    model = _with_running_statistics(keras.Model(inputs, keras.layers.Concatenate()([x, z])))
    assert foldable_pairs(model) == {}
    x = np.ones((2, 8), "float32")
    np.testing.assert_allclose(zoo.fold_batchnorm(model)(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_only_functional_models_fold():
    with pytest.raises(ValueError, match="takes a functional Keras model"):
        zoo.fold_batchnorm(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def test_a_sub_band_normalisation_is_not_folded():
    """SubSpectralNorm is a BatchNormalization subclass with per-band statistics: no per-channel map to fold."""
    inputs = keras.Input((10, 6, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    model = _with_running_statistics(keras.Model(inputs, zoo.layers.SubSpectralNorm(5)(x)))
    assert foldable_pairs(model) == {}
    x = np.random.default_rng(0).standard_normal((2, 10, 6, 3)).astype("float32")
    np.testing.assert_allclose(zoo.fold_batchnorm(model)(x).numpy(), model(x).numpy(), rtol=1e-6)
