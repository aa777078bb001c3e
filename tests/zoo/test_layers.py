"""Shared layers that carry state or edge cases of their own: saved and loaded in safe mode."""

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo.layers import FeatureScale, MaskedMean


def test_feature_scale_multiplies_saves_its_weights_and_trains_nothing(tmp_path):
    import keras

    scale = FeatureScale(3, name="term_weights")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(scale(inputs)))
    scale.set_scale([1.0, 0.5, 2.0])
    np.testing.assert_allclose(scale(np.ones((1, 3), "float32")).numpy(), [[1.0, 0.5, 2.0]])
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
    model.save(tmp_path / "m.keras")
    loaded = zoo.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(loaded.get_layer("term_weights").scale.numpy(), [1.0, 0.5, 2.0])
    with pytest.raises(ValueError, match="has 3 features; got 2 weights"):
        scale.set_scale([1.0, 2.0])


def test_masked_mean_skips_pads_and_gives_zeros_for_an_all_padding_sequence():
    import keras

    ids = keras.Input((4,), dtype="int32")
    pooled = MaskedMean()(keras.layers.Embedding(10, 2, mask_zero=True, embeddings_initializer="ones")(ids))
    model = keras.Model(ids, pooled)
    out = model.predict(np.array([[3, 4, 0, 0], [0, 0, 0, 0]], "int32"), verbose=0)
    np.testing.assert_allclose(out, [[1.0, 1.0], [0.0, 0.0]])
