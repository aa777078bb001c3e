"""Every registered model, the day it is registered: parameter count, forward, backward, .keras round trip."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry

# One small example shape per input kind; the model's default is used where it is already small.
TINY_IMAGE = (32, 32, 3)
NUM_CLASSES = 3  # of the classifiers built here


TINY_TOKENS = (32,)  # a text model's 200 tokens, where it takes fewer (a recurrent one runs step by step)


def tiny_input_shape(entry):
    if entry.input_kind == "image":
        return TINY_IMAGE
    if entry.input_kind == "tokens":
        try:
            registry.check_input_shape(entry, entry.config, TINY_TOKENS)
            return TINY_TOKENS
        except ValueError:  # a fixed length (sasrec's positions)
            pass
    return entry.input_shape


def example_batch(entry, shape, batch=2, seed=0, num_classes=NUM_CLASSES):
    rng = np.random.default_rng(seed)
    if entry.input_kind == "tokens":
        # A next-item model (sasrec) has no vocab_size: its tokens are its classes, the items.
        vocab = getattr(registry.resolve_config(entry.name, {}), "vocab_size", num_classes)
        return rng.integers(1, vocab, size=(batch, *shape)).astype("int32")
    if entry.input_kind == "ids":  # [user, item] rows; 0 is the unknown user or item
        config = registry.resolve_config(entry.name, {})
        users = rng.integers(1, config.num_users, size=batch)
        items = rng.integers(1, config.num_items, size=batch)
        return np.stack([users, items], axis=1).astype("int32")
    return rng.normal(size=(batch, *shape)).astype("float32")


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("name", zoo.list_models())
def test_pinned_parameter_count_at_defaults(name):
    entry = registry.get_entry(name)
    assert entry.params is not None, f"{name}: pin params= in its @register_model"
    assert zoo.create_model(name).count_params() == entry.params


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("name", zoo.list_models())
def test_forward_backward_and_keras_round_trip(name, tmp_path):
    entry = registry.get_entry(name)
    shape = tiny_input_shape(entry)
    x = example_batch(entry, shape)
    if entry.input_kind == "ids":  # a recommender: one sigmoid score per (user, item) pair
        import keras

        model = zoo.create_model(name, num_classes=1, input_shape=shape)
        assert model.name == name
        probs = forward_backward(model, x, np.array([[0.0], [1.0]]), loss=keras.losses.binary_crossentropy)
        assert probs.shape == (2, 1)
        assert np.all((probs >= 0.0) & (probs <= 1.0))
    else:
        model = zoo.create_model(name, num_classes=NUM_CLASSES, input_shape=shape)
        assert model.name == name
        probs = forward_backward(model, x, np.array([0, 2]))
        assert probs.shape == (2, NUM_CLASSES)
        np.testing.assert_allclose(np.sum(probs, axis=-1), 1.0, rtol=1e-5)
    assert_round_trip(model, x, tmp_path)
    check_features(model, entry, x)


def check_features(model, entry, x):
    """Issue 22: every family gives its features (pooled, and a map per stage where it has stages)."""
    from keras_zoo import transfer

    if entry.input_kind == "ids":  # a recommender: the features its score of a (user, item) pair is made from
        features = transfer.feature_extractor(model)(x, training=False)
        for value in (features.values() if isinstance(features, dict) else [features]):
            value = np.asarray(value)
            assert value.shape[0] == 2 and value.ndim == 2 and np.all(np.isfinite(value))
        return
    out = {name: np.asarray(value) for name, value in transfer.feature_extractor(model, stages=True)(x, training=False).items()}
    assert out["pooled"].shape == (2, model.get_layer("head").kernel.shape[0]) and np.all(np.isfinite(out["pooled"]))
    maps = [out[f"stage{i}"] for i in range(1, len(out))]
    assert all(m.shape[0] == 2 and m.ndim >= 3 and np.all(np.isfinite(m)) for m in maps)
    if entry.input_kind == "image":  # a CNN or ViT: at least one map, and no stage larger than the one before it
        assert maps and all(np.prod(b.shape[1:-1]) <= np.prod(a.shape[1:-1]) for a, b in zip(maps, maps[1:]))
