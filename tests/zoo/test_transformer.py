"""The Transformer family: ViT parameter counts against timm, every option, padding, bad inputs."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.transformer import TransformerConfig, build_transformer

# Independent oracle: timm's counts at 1000 classes, 224x224 (timm.create_model(name).num_params).
TIMM_PARAMS = {"vit_tiny": 5_717_416, "vit_small": 22_050_664}
TINY = dict(dim=16, depth=1, heads=2, mlp_dim=32, vocab_size=50)


def test_registered_models():
    assert set(zoo.list_models(family="transformer")) == {
        "transformer_text_tiny", "transformer_text_small", "vit_tiny", "vit_small",
        "transformer_frames_tiny", "transformer_frames_small",
    }
    for name in ("transformer_text_tiny", "transformer_text_small"):
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == ("tokens", (200,), 2, ("nlp",))
    for name in ("transformer_frames_tiny", "transformer_frames_small"):
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes) == ("sequence", (98, 40), 12)
        assert entry.domains == ("speech", "finance")
    for name, dims in {"vit_tiny": (192, 12, 3, 768), "vit_small": (384, 12, 6, 1536)}.items():
        entry = registry.get_entry(name)
        config = entry.config
        assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == (
            "image", (224, 224, 3), 1000, ("vision",))
        assert (config.dim, config.depth, config.heads, config.mlp_dim) == dims
        assert (config.patch_size, config.pooling, config.position) == (16, "cls", "learned")
        assert "arxiv.org/abs/2010.11929" in entry.reference and "arxiv.org/abs/2012.12877" in entry.reference
    assert "arxiv.org/abs/1706.03762" in zoo.model_info("transformer_text_tiny").reference


@pytest.mark.parametrize("name", ["vit_tiny", "vit_small"])
def test_vit_parameter_count_matches_timm(name):
    model = zoo.create_model(name)
    assert model.count_params() == TIMM_PARAMS[name] == registry.get_entry(name).params
    assert model.get_layer("position_embedding").embeddings.shape == (197, model.get_layer("head").input.shape[-1])
    assert model.output.shape == (None, 1000)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("pooling", ["cls", "mean"])
@pytest.mark.parametrize("position", ["learned", "sinusoidal"])
@pytest.mark.parametrize("kind", ["tokens", "image", "frames"])
def test_every_option_builds_trains_and_round_trips(kind, position, pooling, tmp_path):
    rng = np.random.default_rng(0)
    options = dict(TINY, position=position, pooling=pooling, dropout=0.1, attention_dropout=0.1, head_dropout=0.1)
    if kind == "tokens":
        model = zoo.create_model("transformer_text_tiny", num_classes=3, input_shape=(10,), **options)
        x = rng.integers(1, 50, size=(2, 10)).astype("int32")
        x[0, 6:] = 0  # padded
        tokens = 10
    elif kind == "image":
        model = zoo.create_model("vit_tiny", num_classes=3, input_shape=(16, 24, 3), patch_size=8, **options)
        x = rng.normal(size=(2, 16, 24, 3)).astype("float32")
        tokens = 2 * 3
        assert model.get_layer("patch_embedding").kernel.shape == (8, 8, 3, 16)
    else:
        model = zoo.create_model("transformer_frames_tiny", num_classes=3, input_shape=(10, 5), **options)
        x = rng.normal(size=(2, 10, 5)).astype("float32")
        tokens = 10
    out = forward_backward(model, x, np.array([0, 2]))
    assert out.shape == (2, 3)
    assert model.get_layer("block_0_attention").output.shape == (None, tokens + (pooling == "cls"), 16)
    names = [layer.name for layer in model.layers]
    assert ("class_token" in names) == (pooling == "cls")
    assert ("position_embedding" in names) == (position == "learned")
    assert ("position_encoding" in names) == (position == "sinusoidal")
    assert_round_trip(model, x, tmp_path)


def test_depth_stacks_blocks():
    model = zoo.create_model("transformer_frames_tiny", input_shape=(6, 4), **dict(TINY, depth=3))
    blocks = {layer.name.split("_")[1] for layer in model.layers if layer.name.startswith("block_")}
    assert blocks == {"0", "1", "2"}


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("pooling", ["mean", "cls"])
@pytest.mark.parametrize("position", ["learned", "sinusoidal"])
def test_padding_is_ignored(position, pooling):
    """The same ids padded to 8 and to 16 give the same output: attention and pooling skip pads."""
    options = dict(TINY, depth=2, dropout=0.0, attention_dropout=0.0, position=position, pooling=pooling)
    short = zoo.create_model("transformer_text_tiny", input_shape=(8,), **options)
    long = zoo.create_model("transformer_text_tiny", input_shape=(16,), **options)
    for layer in long.layers:  # same weights; a learned position table is longer by 8 rows
        weights = short.get_layer(layer.name).get_weights()
        if layer.name == "position_embedding":
            table = layer.get_weights()[0]
            table[: weights[0].shape[0]] = weights[0]
            weights = [table]
        layer.set_weights(weights)
    ids = np.array([[5, 17, 3, 42, 9], [7, 7, 1, 0, 0]], dtype="int32")
    pad = lambda n: np.pad(ids, ((0, 0), (0, n - ids.shape[1])))  # noqa: E731
    np.testing.assert_allclose(short.predict(pad(8), verbose=0), long.predict(pad(16), verbose=0), atol=1e-5)
    # and the ids matter: a real token in place of a pad changes the answer
    other = pad(8).copy()
    other[1, 5] = 11
    assert not np.allclose(short.predict(pad(8), verbose=0)[1], short.predict(other, verbose=0)[1])


def test_sequence_to_value_regression():
    import keras

    model = zoo.create_model("transformer_frames_tiny", num_classes=1, classifier_activation=None,
                             input_shape=(12, 3), **TINY)
    assert model.layers[-1].name == "head" and model.layers[-1].activation is keras.activations.linear
    out = model.predict(np.random.default_rng(0).normal(size=(4, 12, 3)).astype("float32"), verbose=0)
    assert out.shape == (4, 1)


@pytest.mark.parametrize("shape", [(30, 32, 3), (224, 200, 3), (8, 8, 3)])
def test_image_sides_must_fit_the_patch(shape):
    with pytest.raises(ValueError, match=r"multiples of patch_size=16 \(at least 16\).*Received: input_shape=" +
                       repr(shape).replace("(", r"\(").replace(")", r"\)") + "$"):
        zoo.create_model("vit_tiny", input_shape=shape)
    zoo.registry.check_input_shape(registry.get_entry("vit_tiny"), TransformerConfig(patch_size=2), shape)


@pytest.mark.parametrize(
    "overrides, match",
    [
        (dict(heads=5), r"heads must divide dim=192 .*Received: heads=5"),
        (dict(dim=0), r"Received: dim=0"),
        (dict(depth=1.5), r"Received: depth=1.5"),
        (dict(mlp_dim=-1), r"Received: mlp_dim=-1"),
        (dict(dropout=1.0), r"Received: dropout=1.0"),
        (dict(attention_dropout=-0.5), r"Received: attention_dropout=-0.5"),
        (dict(position="rotary"), r"position must be one of \('learned', 'sinusoidal'\)\. Received: position='rotary'"),
        (dict(pooling="max"), r"pooling must be one of \('cls', 'mean'\)\. Received: pooling='max'"),
        (dict(patch_size=0), r"Received: patch_size=0"),
        (dict(vocab_size=True), r"Received: vocab_size=True"),
        (dict(norm_epsilon=0), r"Received: norm_epsilon=0"),
    ],
)
def test_invalid_fields_are_rejected(overrides, match):
    with pytest.raises(ValueError, match=match + "$"):
        TransformerConfig(**overrides)
    with pytest.raises(ValueError, match=match):
        zoo.create_model("vit_tiny", **overrides)


def test_bad_input_rank():
    with pytest.raises(ValueError, match=r"Received: input_shape=\(2, 2, 2, 2\)$"):
        build_transformer(TransformerConfig(), input_shape=(2, 2, 2, 2), num_classes=2, name="bad")


def test_search_space_gives_a_valid_config():
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    overrides = registry.get_entry("vit_tiny").family.search_space(hp, TransformerConfig())
    config = registry.resolve_config("vit_tiny", overrides)
    assert config.dim % config.heads == 0
    assert {"dim", "depth", "heads", "position", "pooling"} <= set(hp.values)


def test_a_text_of_padding_only_gives_finite_outputs_and_gradients():
    # A text of punctuation only (an SMS of ":-)") vectorises to all padding: no NaN may come out.
    import tensorflow as tf

    model = zoo.create_model("transformer_text_tiny", input_shape=(12,), vocab_size=50)
    ids = np.zeros((3, 12), "int32")
    ids[1, :4] = [5, 6, 7, 8]
    with tf.GradientTape() as tape:
        probs = model(ids, training=True)
        loss = -tf.reduce_mean(tf.math.log(probs[:, 0]))
    grads = tape.gradient(loss, model.trainable_weights)
    assert np.all(np.isfinite(probs.numpy()))
    assert all(np.all(np.isfinite(tf.convert_to_tensor(g).numpy())) for g in grads if g is not None)
