"""The RNN family: every option builds, trains and round-trips; padding is ignored; bad configs fail early."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.rnn import RNNConfig, build_rnn

TEXT_MODELS = ["lstm_text", "lstm_text_bidir", "gru_text", "gru_text_bidir"]
FRAME_MODELS = ["lstm_frames", "lstm_frames_bidir", "gru_frames"]
TINY = dict(units=(8,), vocab_size=50, embedding_dim=8)


def test_registered_models():
    assert set(zoo.list_models(family="rnn")) == set(TEXT_MODELS + FRAME_MODELS)
    for name in TEXT_MODELS:
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == ("tokens", (200,), 2, ("nlp",))
        assert entry.config.vocab_size == 20000
    for name in FRAME_MODELS:
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes) == ("sequence", (98, 40), 12)
        assert entry.domains == ("speech", "finance")
    assert registry.get_entry("lstm_text_bidir").config.bidirectional
    assert registry.get_entry("gru_frames").config.cell == "gru"
    card = zoo.model_info("gru_text")
    assert "Cho et al. 2014" in card.reference and "arxiv.org" in card.reference
    assert "Hochreiter" in zoo.model_info("lstm_frames").reference


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("units", [(8,), (8, 6)], ids=["one_layer", "stacked"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["forward", "bidir"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("kind", ["tokens", "frames"])
def test_every_option_builds_trains_and_round_trips(kind, cell, bidirectional, units, tmp_path):
    rng = np.random.default_rng(0)
    options = dict(cell=cell, bidirectional=bidirectional, units=units, vocab_size=50, embedding_dim=8,
                   dropout=0.1, recurrent_dropout=0.1 if len(units) > 1 else 0.0, head_dropout=0.1)
    if kind == "tokens":
        model = zoo.create_model("lstm_text", num_classes=3, input_shape=(12,), **options)
        x = rng.integers(1, 50, size=(2, 12)).astype("int32")
        x[0, 7:] = 0  # padded
        assert model.get_layer("token_embedding").mask_zero
    else:
        model = zoo.create_model("lstm_frames", num_classes=3, input_shape=(12, 5), **options)
        x = rng.normal(size=(2, 12, 5)).astype("float32")
    out = forward_backward(model, x, np.array([0, 2]))
    assert out.shape == (2, 3)
    recurrent = [layer for layer in model.layers if cell in layer.name and "dropout" not in layer.name]
    assert len(recurrent) == len(units)
    width = units[-1] * (2 if bidirectional else 1)
    assert model.get_layer("head").input.shape == (None, width)
    assert_round_trip(model, x, tmp_path)


@pytest.mark.parametrize("name", ["lstm_text", "gru_text_bidir"])
def test_padding_is_ignored(name):
    """The same ids padded to 8 and to 16 give the same output: the mask reaches every layer."""
    short = zoo.create_model(name, input_shape=(8,), **TINY)
    long = zoo.create_model(name, input_shape=(16,), **TINY)
    long.set_weights(short.get_weights())  # no weight depends on the length
    ids = np.array([[5, 17, 3, 42, 9], [7, 7, 1, 0, 0]], dtype="int32")
    pad = lambda n: np.pad(ids, ((0, 0), (0, n - ids.shape[1])))  # noqa: E731
    np.testing.assert_allclose(short.predict(pad(8), verbose=0), long.predict(pad(16), verbose=0), atol=1e-6)
    # and the ids matter: this is not a model that ignores everything
    assert not np.allclose(short.predict(pad(8), verbose=0), short.predict(pad(8)[::-1], verbose=0))


def test_sequence_to_value_regression():
    import keras

    model = zoo.create_model("gru_frames", num_classes=1, classifier_activation=None, input_shape=(10, 3), units=(4,))
    assert model.layers[-1].name == "head" and model.layers[-1].activation is keras.activations.linear
    out = model.predict(np.random.default_rng(0).normal(size=(4, 10, 3)).astype("float32"), verbose=0)
    assert out.shape == (4, 1)


def test_frames_need_no_vocabulary():
    model = zoo.create_model("lstm_frames", input_shape=(10, 3), units=(4,))
    assert not any(layer.name == "token_embedding" for layer in model.layers)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("cell", "rnn", r"cell must be one of \('lstm', 'gru'\)\. Received: cell='rnn'"),
        ("units", (), r"Received: units=\(\)"),
        ("units", (8, 0), r"Received: units=\(8, 0\)"),
        ("bidirectional", "yes", r"Received: bidirectional='yes'"),
        ("dropout", 1.0, r"Received: dropout=1.0"),
        ("recurrent_dropout", -0.1, r"Received: recurrent_dropout=-0.1"),
        ("vocab_size", 0, r"Received: vocab_size=0"),
        ("embedding_dim", 2.5, r"Received: embedding_dim=2.5"),
        ("classifier_activation", "relu", r"Received: classifier_activation='relu'"),
    ],
)
def test_invalid_fields_are_rejected(field, value, match):
    with pytest.raises(ValueError, match=match + "$"):
        RNNConfig(**{field: value})
    with pytest.raises(ValueError, match=match):
        zoo.create_model("lstm_text", **{field: value})


def test_bad_input_rank():
    with pytest.raises(ValueError, match=r"Received: input_shape=\(10, 3\)"):
        zoo.create_model("lstm_text", input_shape=(10, 3))
    with pytest.raises(ValueError, match=r"token ids or \(steps, features\) frames\. Received: input_shape=\(4, 4, 1\)"):
        build_rnn(RNNConfig(), input_shape=(4, 4, 1), num_classes=2, name="bad")


def test_search_space_gives_a_valid_config():
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    overrides = registry.get_entry("lstm_text").family.search_space(hp, RNNConfig())
    config = registry.resolve_config("lstm_text", overrides)
    assert config.cell in ("lstm", "gru") and all(u > 0 for u in config.units)
    assert {"cell", "units", "bidirectional", "dropout"} <= set(hp.values)
