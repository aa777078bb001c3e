"""The SASRec family: pinned size, shapes, causal and padding masks, finite on padding, bad configs fail early."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.sasrec import SASRecConfig

TINY = dict(num_classes=11, input_shape=(6,), embedding_dim=8, dropout=0.0)  # 10 items + padding


def tiny(**overrides):
    return zoo.create_model("sasrec", **{**TINY, **overrides})


def randomize(model, seed=0, scale=0.5):
    """Weights large enough that every input visibly moves every output (the initial ones are small)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=scale, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_registered_model():
    assert zoo.list_models(family="sasrec") == ["sasrec"]
    entry = registry.get_entry("sasrec")
    assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == (
        "tokens", (50,), 1001, ("recommendation",)
    )
    config = entry.config
    assert (config.embedding_dim, config.num_blocks, config.num_heads, config.dropout) == (64, 2, 1, 0.2)
    assert config.classifier_activation == "softmax"
    assert "Kang and McAuley 2018" in entry.reference and "1808.09781" in entry.reference


def test_pinned_parameter_count():
    d, items, length = 64, 1001, 50
    norm = 2 * d
    block = norm + 4 * (d * d + d) + norm + 2 * (d * d + d)  # norm, q/k/v/output projections, norm, FFN d -> d -> d
    expected = items * d + length * d + 2 * block + norm + d * items + items  # embeddings, blocks, final norm, head
    assert zoo.create_model("sasrec").count_params() == expected == registry.get_entry("sasrec").params == 182_889


@pytest.mark.parametrize("activation", ["softmax", None])
def test_output_shape_and_activation(activation):
    model = tiny(classifier_activation=activation)
    x = np.array([[0, 0, 0, 3, 1, 2], [4, 5, 6, 7, 8, 9]], dtype="int32")
    out = model.predict(x, verbose=0)
    assert out.shape == (2, 11) and model.input_shape == (None, 6)
    assert model.get_layer("head").units == 11 and model.get_layer("item_embedding").input_dim == 11
    if activation == "softmax":
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
        assert model.layers[-1].name == "predictions"
    else:
        assert model.layers[-1].name == "head"  # logits
        assert not np.allclose(out.sum(axis=1), 1.0)


def test_options_build_what_they_say():
    model = tiny(num_blocks=3, num_heads=2, dropout=0.3)
    names = {layer.name for layer in model.layers}
    assert {"block_0_attention", "block_2_attention"} <= names and "block_3_attention" not in names
    attention = model.get_layer("block_1_attention")
    assert (attention.num_heads, attention.key_dim, attention.dropout) == (2, 4, 0.3)
    assert {"embedding_dropout", "block_0_attention_dropout", "block_0_mlp_dropout1"} <= names
    assert not any("dropout" in name for name in {layer.name for layer in tiny(dropout=0.0).layers})


def test_causal_a_position_sees_only_itself_and_earlier_items():
    import keras

    model = randomize(tiny(num_blocks=2))
    hidden = keras.Model(model.inputs, model.get_layer("block_1_residual2").output)  # every position's output
    x = np.array([[0, 0, 1, 2, 3, 4]], dtype="int32")
    changed = x.copy()
    changed[0, 4] = 7  # a later item
    before, after = hidden.predict(x, verbose=0), hidden.predict(changed, verbose=0)
    # The items before it (positions 2, 3) do not move. The pads (0, 1) do: a pad may attend to no
    # position, and Keras then spreads its attention uniformly over all of them; that they move while
    # positions 2 and 3 do not also shows that no item reads a pad.
    np.testing.assert_allclose(after[0, 2:4], before[0, 2:4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(after[0, 4:], before[0, 4:])  # the changed position and the ones after it move
    # ... and so does the prediction, read at the last position
    assert not np.allclose(model.predict(changed, verbose=0), model.predict(x, verbose=0))


def test_padding_is_masked_its_embedding_changes_nothing():
    model = randomize(tiny())
    x = np.array([[0, 0, 0, 0, 5, 2], [0, 1, 2, 3, 4, 5]], dtype="int32")
    before = model.predict(x, verbose=0)
    table = model.get_layer("item_embedding")
    weights = table.get_weights()[0]
    weights[0] = 100.0  # the padding token's row
    table.set_weights([weights])
    np.testing.assert_allclose(model.predict(x, verbose=0), before, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ["softmax", None])
def test_heavy_and_full_padding_stay_finite_forward_and_backward(activation):
    """A left-padded position has nothing it may attend to (causal and padding masks): no NaN from it."""
    model = tiny(classifier_activation=activation, dropout=0.2)
    x = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 7], [0, 0, 0, 0, 0, 0]], dtype="int32")
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
    import keras

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=activation is None)
    out = forward_backward(model, x, np.array([3, 1, 10]), loss=loss)  # asserts finite outputs and gradients
    assert out.shape == (3, 11)


def test_keras_round_trip_in_safe_mode(tmp_path):
    model = randomize(tiny(num_heads=2, dropout=0.2))
    x = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 1, 2, 3, 4]], dtype="int32")
    restored = assert_round_trip(model, x, tmp_path)
    assert restored.get_layer("block_0_attention").num_heads == 2


def test_config_errors_name_what_was_received():
    with pytest.raises(ValueError, match="num_heads must divide embedding_dim=64.*Received: num_heads=3"):
        SASRecConfig(num_heads=3)
    with pytest.raises(ValueError, match="Received: embedding_dim=0"):
        SASRecConfig(embedding_dim=0)
    with pytest.raises(ValueError, match="Received: num_blocks=0"):
        SASRecConfig(num_blocks=0)
    with pytest.raises(ValueError, match=r"Received: dropout=1.0"):
        SASRecConfig(dropout=1.0)
    with pytest.raises(ValueError, match="Received: classifier_activation='sigmoid'"):
        zoo.create_model("sasrec", classifier_activation="sigmoid")


def test_input_errors():
    with pytest.raises(ValueError, match=r"takes tokens inputs.*Received: input_shape=\(5, 5\)"):
        zoo.create_model("sasrec", input_shape=(5, 5))
    with pytest.raises(ValueError, match="num_classes is the number of items \\+ 1.*Received: num_classes=1"):
        zoo.create_model("sasrec", num_classes=1, classifier_activation=None)
