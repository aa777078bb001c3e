"""The TCN family: causal, the documented receptive field, trains, round-trips, freezes by block; bad configs fail."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.tcn import TCNConfig, build_tcn, receptive_field

TINY = dict(filters=8, kernel_size=3, dilations=(1, 2), dropout=0.0)  # receptive field 13


def features_model(model):
    """The model up to the last block's per-step features, before the pooling: (batch, steps, filters)."""
    import keras

    last = [layer.name for layer in model.layers if layer.name.endswith("_out")][-1]
    return keras.Model(model.input, model.get_layer(last).output)


def test_registered_models():
    assert zoo.list_models(family="tcn") == ["tcn_base", "tcn_small"]
    for name in ("tcn_small", "tcn_base"):
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == (
            "sequence", (64, 8), 2, ("finance",)
        )
        assert "Bai" in entry.reference and "arxiv.org/abs/1803.01271" in entry.reference
    assert registry.get_entry("tcn_small").config.filters == 32
    assert registry.get_entry("tcn_base").config == TCNConfig(filters=64, dilations=(1, 2, 4, 8, 16))
    assert "tcn_small" in zoo.list_models(domain="finance")


def test_receptive_field():
    assert receptive_field(registry.get_entry("tcn_small").config) == 61
    assert receptive_field(registry.get_entry("tcn_base").config) == 125
    assert receptive_field(TCNConfig(kernel_size=2, dilations=(1, 2))) == 7
    assert receptive_field(TCNConfig(**TINY)) == 13


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("pooling", ["last", "average"])
@pytest.mark.parametrize("norm", ["layer", "none"])
def test_classification_shapes_and_round_trip(pooling, norm, tmp_path):
    model = zoo.create_model("tcn_small", num_classes=3, input_shape=(16, 4), pooling=pooling, norm=norm,
                             filters=8, dilations=(1, 2), dropout=0.1, head_dropout=0.1)
    x = np.random.default_rng(0).normal(size=(2, 16, 4)).astype("float32")
    probs = forward_backward(model, x, np.array([0, 2]))
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(np.sum(probs, axis=-1), 1.0, rtol=1e-5)
    assert model.get_layer("head").input.shape == (None, 8)
    names = {layer.name for layer in model.layers}
    assert "block_1_shortcut" in names and "block_2_shortcut" not in names  # 4 -> 8 channels, then 8 -> 8
    assert ("block_1_norm1" in names) == (norm == "layer")
    assert_round_trip(model, x, tmp_path)


def test_no_shortcut_projection_when_the_channels_match():
    model = zoo.create_model("tcn_small", input_shape=(16, 8), filters=8, dilations=(1,))
    assert not any("shortcut" in layer.name for layer in model.layers)


def test_regression_head():
    import keras

    model = zoo.create_model("tcn_small", num_classes=1, classifier_activation=None, input_shape=(20, 3), **TINY)
    assert model.layers[-1].name == "head" and model.layers[-1].activation is keras.activations.linear
    out = model.predict(np.random.default_rng(0).normal(size=(4, 20, 3)).astype("float32"), verbose=0)
    assert out.shape == (4, 1)


@pytest.mark.parametrize("pooling", ["last", "average"])
def test_pooling_reads_the_per_step_features(pooling):
    import keras_zoo.transfer

    model = zoo.create_model("tcn_small", input_shape=(20, 3), pooling=pooling, **TINY)
    x = np.random.default_rng(0).normal(size=(3, 20, 3)).astype("float32")
    steps = features_model(model).predict(x, verbose=0)
    pooled = zoo.transfer.feature_extractor(model).predict(x, verbose=0)
    expected = steps[:, -1] if pooling == "last" else steps.mean(axis=1)
    np.testing.assert_allclose(pooled, expected, rtol=1e-5, atol=1e-6)


def test_causality_and_receptive_field():
    """The features at step t depend on the inputs at steps t - receptive_field + 1 .. t, and on no others."""
    steps, t = 32, 20
    model = zoo.create_model("tcn_small", input_shape=(steps, 3), **TINY)
    field = receptive_field(model.zoo_spec.config)
    features = features_model(model)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, steps, 3)).astype("float32")
    base = features.predict(x, verbose=0)

    def perturbed(positions):
        y = x.copy()
        y[:, positions] += rng.normal(size=(1, len(positions), 3)).astype("float32") * 3
        return features.predict(y, verbose=0)

    # The future does not leak into the past: steps 0..t are unchanged by any change after t.
    later = perturbed(list(range(t + 1, steps)))
    np.testing.assert_allclose(later[:, : t + 1], base[:, : t + 1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(later[:, t + 1 :], base[:, t + 1 :], atol=1e-3)  # and those steps do see it
    # Nothing before the receptive field reaches step t; its oldest step does.
    older = perturbed(list(range(0, t - field + 1)))
    np.testing.assert_allclose(older[:, t], base[:, t], rtol=1e-5, atol=1e-6)
    oldest = perturbed([t - field + 1])
    assert not np.allclose(oldest[:, t], base[:, t], atol=1e-4)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_learns_a_toy_task():
    """Predict the sum of the last 3 inputs of a random series: the MSE falls by far."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 16, 1)).astype("float32")
    y = x[:, -3:, 0].sum(axis=1, keepdims=True)
    model = zoo.create_model("tcn_small", num_classes=1, classifier_activation=None, input_shape=(16, 1),
                             filters=16, kernel_size=2, dilations=(1, 2), dropout=0.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert after < before / 20, (before, after)


def test_freeze_backbone_leaves_the_last_block_and_the_head():
    import keras_zoo.transfer

    model = zoo.create_model("tcn_small", input_shape=(16, 3), filters=8, dilations=(1, 2, 4))
    blocks = zoo.transfer.backbone_blocks(model)
    assert [block[0].name for block in blocks] == ["block_1_conv1", "block_2_conv1", "block_3_conv1"]
    zoo.transfer.freeze_backbone(model, trainable_top_blocks=1)
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable == {"block_3_conv1", "block_3_norm1", "block_3_conv2", "block_3_norm2", "head"}


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("filters", 0, r"filters must be a positive int\. Received: filters=0"),
        ("kernel_size", 1, r"kernel_size must be at least 2: .*Received: kernel_size=1"),
        ("kernel_size", 2.5, r"Received: kernel_size=2\.5"),
        ("dilations", (), r"Received: dilations=\(\)"),
        ("dilations", (1, 0), r"Received: dilations=\(1, 0\)"),
        ("dropout", 1.0, r"Received: dropout=1\.0"),
        ("norm", "weight", r"norm must be one of \('layer', 'none'\)\. Received: norm='weight'"),
        ("activation", "swish", r"Received: activation='swish'"),
        ("pooling", "max", r"pooling must be one of \('last', 'average'\)\. Received: pooling='max'"),
        ("classifier_activation", "relu", r"Received: classifier_activation='relu'"),
    ],
)
def test_invalid_fields_are_rejected(field, value, match):
    with pytest.raises(ValueError, match=match + "$"):
        TCNConfig(**{field: value})
    with pytest.raises(ValueError, match=match):
        zoo.create_model("tcn_small", **{field: value})


def test_bad_input_rank():
    with pytest.raises(ValueError, match=r"\(steps, features\).*Received: input_shape=\(64,\)"):
        zoo.create_model("tcn_small", input_shape=(64,))
    with pytest.raises(ValueError, match=r"A TCN takes \(steps, features\) series\. Received: input_shape=\(4, 4, 1\)"):
        build_tcn(TCNConfig(), input_shape=(4, 4, 1), num_classes=2, name="bad")


def test_search_space_gives_a_valid_config():
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    overrides = registry.get_entry("tcn_small").family.search_space(hp, TCNConfig())
    config = registry.resolve_config("tcn_small", overrides)
    assert config.dilations == tuple(2**i for i in range(hp.get("levels")))
    assert {"filters", "kernel_size", "levels", "dropout"} <= set(hp.values)
