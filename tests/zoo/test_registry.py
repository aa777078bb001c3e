"""The registry's public API: listing, cards, overrides, input validation, and its errors."""

import subprocess
import sys
from dataclasses import dataclass

import pytest

import keras_zoo as zoo
from keras_zoo import registry
from keras_zoo.models.base import HeadConfig

FAMILIES = ("keras", "mlp", "cnn", "resnet", "rnn", "textcnn", "transformer", "kws", "tcn")


def test_the_registry_holds_every_family():
    names = zoo.list_models()
    assert len(names) >= 20
    assert names == sorted(names)
    for family in FAMILIES:
        assert zoo.list_models(family=family), family
    assert len(zoo.list_models("resnet*")) >= 8


def test_wildcards_and_filters():
    assert zoo.list_models("resnet5?") == ["resnet50", "resnet56"]
    assert zoo.list_models("vit_*") == ["vit_small", "vit_tiny"]
    assert set(zoo.list_models(family="mlp")) == {"mlp_small", "mlp_base", "mlp_text", "linear_text"}
    nlp = zoo.list_models(domain="nlp")
    assert {"lstm_text", "cnn_text", "mlp_text"} <= set(nlp) and "resnet50" not in nlp
    assert zoo.list_models(family="textcnn") == ["cnn_text"]
    assert zoo.list_models("resnet*", domain="speech") == ["resnet18_1d", "resnet20_1d"]
    assert zoo.list_models("no_such_*") == []


def test_unknown_filters_name_the_accepted_values():
    with pytest.raises(ValueError, match="expected one of .*Received: family='resnets'"):
        zoo.list_models(family="resnets")
    with pytest.raises(ValueError, match="Received: domain='audio'"):
        zoo.list_models(domain="audio")


def test_listing_does_not_import_tensorflow():
    code = "import sys, keras_zoo as zoo; zoo.list_models(); zoo.model_info('resnet50'); assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_model_card():
    card = zoo.model_info("resnet20")
    assert card.family == "resnet"
    assert card.input_kind == "image" and card.input_shape == (32, 32, 3)
    assert card.num_classes == 10
    assert 0.26e6 < card.params < 0.28e6
    assert "arxiv.org" in card.reference
    assert card.config["stage_blocks"] == (3, 3, 3)
    text = str(card)
    assert "resnet20" in text and "parameters" in text and "stage_blocks" in text


def test_unknown_name_suggests_the_closest():
    with pytest.raises(zoo.UnknownModelError, match="Did you mean: resnet50") as info:
        zoo.create_model("resnt50")
    assert isinstance(info.value, KeyError)  # a lookup error, as users expect from a registry
    with pytest.raises(KeyError, match="vit_tiny"):
        zoo.model_info("vit_tinny")


def test_overrides_change_the_model():
    model = zoo.create_model("mlp_small", input_shape=(20,), num_classes=3, hidden_units=(7,), activation="tanh")
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [7, 3]
    assert model.name == "mlp_small"
    assert model.output_shape == (None, 3)


def test_overrides_from_json_lists_become_tuples():
    config = registry.resolve_config("mlp_small", {"hidden_units": [8, 4]})
    assert config.hidden_units == (8, 4)


def test_unknown_override_names_valid_keys_and_what_was_received():
    with pytest.raises(ValueError, match=r"valid keys: .*hidden_units.*Received: hidden_unit=\(8,\)"):
        zoo.create_model("mlp_small", hidden_unit=(8,))


def test_invalid_override_value_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match=r"activation must be one of .*Received: activation='swish'"):
        zoo.create_model("mlp_small", activation="swish")


@pytest.mark.parametrize("num_classes", [0, -3, 2.5, True])
def test_num_classes_must_be_positive(num_classes):
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        zoo.create_model("mlp_small", num_classes=num_classes)


def test_one_softmax_output_is_refused_with_advice():
    with pytest.raises(ValueError, match="classifier_activation=None"):
        zoo.create_model("mlp_small", num_classes=1)


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("resnet18_1d", (64, 64, 3), r"sequence inputs of shape \(steps, features\)"),
        ("resnet20", (32, 32), r"image inputs of shape \(height, width, channels\)"),
        ("lstm_text", (50, 8), r"tokens inputs of shape \(length,\)"),
        ("resnet50", (16, 16, 3), "at least 32"),
        ("cnn_base", (4, 4, 1), "at least 8"),
        ("mlp_small", (0,), "positive ints"),
        ("mlp_small", "784", "positive ints"),
    ],
)
def test_impossible_input_shapes_fail_before_building(name, shape, message):
    with pytest.raises(ValueError, match=message):
        zoo.create_model(name, input_shape=shape)


def test_register_a_user_model():
    @dataclass
    class TinyConfig(HeadConfig):
        units: int = 4

    def build(config, *, input_shape, num_classes, name):
        import keras

        from keras_zoo.layers import classification_head

        inputs = keras.Input(input_shape)
        x = keras.layers.Dense(config.units)(inputs)
        return keras.Model(inputs, classification_head(x, num_classes), name=name)

    family = zoo.Family("tiny", config_class=TinyConfig, build=build, search_space=lambda hp, c: {})

    @zoo.register_model(family, domains=("finance",), input_kind="vector", input_shape=(3,), num_classes=2)
    def tiny_user_model():
        """A user's model."""
        return TinyConfig(units=5)

    try:
        assert "tiny_user_model" in zoo.list_models(family="tiny")
        assert zoo.model_info("tiny_user_model").params == 3 * 5 + 5 + 5 * 2 + 2  # counted by building
        assert zoo.create_model("tiny_user_model", units=2).count_params() == 3 * 2 + 2 + 2 * 2 + 2
        with pytest.raises(ValueError, match="already registered"):
            zoo.register_model(family, domains=("finance",), input_kind="vector", input_shape=(3,), num_classes=2)(
                tiny_user_model
            )
    finally:
        del registry._REGISTRY["tiny_user_model"]


def test_a_new_domain_adds_its_name_before_registering_models(monkeypatch):
    monkeypatch.setattr(registry, "_ADDED_DOMAINS", [])
    with pytest.raises(ValueError, match=r"Unknown domains \['toy'\].*zoo.registry.add_domain"):
        zoo.register_model(None, domains=("toy",), input_kind="vector", input_shape=(1,), num_classes=1)
    zoo.registry.add_domain("toy")
    zoo.registry.add_domain("toy")  # twice is once
    assert zoo.registry.known_domains() == (*zoo.registry.DOMAINS, "toy")
    assert zoo.list_models(domain="toy") == []  # a known domain, with no models yet
    for bad in ("Toy", "my domain", "", 3):
        with pytest.raises(ValueError, match="lowercase identifier"):
            zoo.registry.add_domain(bad)


def test_registration_rejects_unknown_domains_and_kinds():
    with pytest.raises(ValueError, match="Unknown domains"):
        zoo.register_model(None, domains=("astrology",), input_kind="vector", input_shape=(1,), num_classes=1)
    with pytest.raises(ValueError, match="input_kind"):
        zoo.register_model(None, domains=("nlp",), input_kind="text", input_shape=(1,), num_classes=1)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_saved_model_loads_in_a_fresh_process(tmp_path):
    import numpy as np

    model = zoo.create_model("resnet20", input_shape=(8, 8, 3), stage_blocks=(1, 1, 1))  # zero-pad shortcut
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", model.predict(x, verbose=0))
    code = (
        "import sys, numpy as np, keras_zoo as zoo; d = sys.argv[1]; "
        "m = zoo.load_model(d + '/m.keras'); "
        "np.testing.assert_allclose(m.predict(np.load(d + '/x.npy'), verbose=0), np.load(d + '/y.npy'), rtol=1e-5)"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)


def test_atomic_path_leaves_the_old_file_when_the_writer_fails(tmp_path):
    from keras_zoo.files import atomic_path

    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half of the new")
            raise RuntimeError("the writer died")
    assert target.read_text() == "old"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
