"""The ResNet family: sizes against independent references, every option, bad input, safe-mode loading."""

import dataclasses
import re

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo import registry
from keras_zoo.models.resnet import ResNetConfig

TINY = dict(stage_blocks=(1, 1), stage_widths=(4, 8))  # two stages: downsampling 2 (cifar) or 8 (imagenet)


def tiny_shape(dims, stem):
    side = 8 if stem == "cifar" else 16
    return (side, side, 3) if dims == 2 else (2 * side, 2)


def forward(model, shape, seed=0):
    import keras

    x = np.random.default_rng(seed).normal(size=(2, *shape)).astype("float32")
    out = keras.ops.convert_to_numpy(model(x, training=True))
    assert np.all(np.isfinite(out))
    return out


def test_registered_models():
    assert zoo.list_models(family="resnet") == sorted([
        "resnet18", "resnet34", "resnet50", "resnet18_v2", "resnet50_v2", "resnet20", "resnet32",
        "resnet56", "resnet20_v2", "resnet18_1d", "resnet20_1d",
    ])
    for name in zoo.list_models(family="resnet"):
        entry = registry.get_entry(name)
        assert entry.description and entry.reference.startswith("He et al. 2016, https://arxiv.org/abs/")
        v2 = entry.config.version == 2
        assert ("1603.05027" if v2 else "1512.03385") in entry.reference
        assert entry.input_kind == ("image" if entry.config.dims == 2 else "sequence")
    assert registry.get_entry("resnet18_1d").input_shape == (16000, 1)
    assert registry.get_entry("resnet20_1d").domains == ("speech", "finance")


def _keras_applications_name(ours):
    """Our layer name -> keras.applications.ResNet50's (stage1 is its conv2, shortcut is its _0_)."""
    fixed = {"stem_conv": "conv1_conv", "stem_bn": "conv1_bn", "head": "predictions"}
    if ours in fixed:
        return fixed[ours]
    stage, block, part = re.fullmatch(r"stage(\d)_block(\d+)_(\w+)", ours).groups()
    index = "0" if part.startswith("shortcut") else part[-1]
    kind = "conv" if "conv" in part else "bn"
    return f"conv{int(stage) + 1}_block{block}_{index}_{kind}"


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_resnet50_is_keras_applications_resnet50():
    import keras

    ours = zoo.create_model("resnet50", num_classes=1000, input_shape=(224, 224, 3))
    reference = keras.applications.ResNet50(weights=None)
    assert ours.count_params() == reference.count_params() == 25_636_712
    # Same layers, same padding, same stride placement: with keras.applications' weights copied in,
    # the outputs are the same.
    for layer in ours.layers:
        if layer.weights:
            layer.set_weights(reference.get_layer(_keras_applications_name(layer.name)).get_weights())
    x = np.random.default_rng(0).uniform(-2, 2, size=(1, 224, 224, 3)).astype("float32")
    features = keras.Model(ours.input, ours.get_layer("pool").output).predict(x, verbose=0)
    expected = keras.Model(reference.input, reference.get_layer("avg_pool").output).predict(x, verbose=0)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-4, atol=1e-7)


def test_resnet50_v2_matches_keras_applications_count():
    import keras

    # The same parameters as keras.applications.ResNet50V2 (including where it keeps conv biases),
    # but not its weights' function: it strides in the *last* block of a stage (with a max-pool
    # shortcut), we stride in the first, as the paper and the v1 models.
    reference = keras.applications.ResNet50V2(weights=None).count_params()
    assert zoo.create_model("resnet50_v2").count_params() == reference == 25_613_800


@pytest.mark.parametrize("name, trainable", [("resnet18", 11_689_512), ("resnet50", 25_557_032)])
def test_without_conv_biases_matches_torchvision(name, trainable):
    # torchvision's published counts exclude batch-norm moving statistics (buffers, not parameters).
    model = zoo.create_model(name, conv_bias=False)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable


@pytest.mark.parametrize("name, paper_millions", [("resnet20", 0.27), ("resnet32", 0.46), ("resnet56", 0.85)])
def test_cifar_sizes_match_the_paper(name, paper_millions):
    model = zoo.create_model(name)
    assert abs(model.count_params() / 1e6 - paper_millions) <= 0.01
    assert model.count_params() == registry.get_entry(name).params
    assert not any(layer.name.endswith("shortcut_conv") for layer in model.layers)  # option A: no weights


@pytest.mark.parametrize("stem", ["imagenet", "cifar"])
@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("shortcut", ["projection", "zero_pad"])
@pytest.mark.parametrize("block", ["basic", "bottleneck"])
@pytest.mark.parametrize("version", [1, 2])
def test_every_option_builds_and_runs(version, block, shortcut, dims, stem):
    shape = tiny_shape(dims, stem)
    name = "resnet18" if dims == 2 else "resnet18_1d"  # the registry fixes the rank by the entry's input kind
    model = zoo.create_model(
        name, num_classes=3, input_shape=shape, version=version, block=block, shortcut=shortcut, stem=stem, **TINY
    )
    assert forward(model, shape).shape == (2, 3)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names)) and model.name == name
    assert ("post_bn" in names) == (version == 2)
    assert ("stage2_block1_conv3" in names) == (block == "bottleneck")
    assert ("stage2_block1_shortcut_conv" in names) == (shortcut == "projection")
    assert ("stage2_block1_shortcut" in names) == (shortcut == "zero_pad")
    assert ("stem_pool" in names) == (stem == "imagenet")
    assert model.get_layer("stage2_block1_conv1").__class__.__name__ == f"Conv{dims}D"


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_pooling(pooling, dims):
    shape = tiny_shape(dims, "cifar")
    name = "resnet20" if dims == 2 else "resnet20_1d"
    model = zoo.create_model(name, num_classes=3, input_shape=shape, pooling=pooling, **TINY)
    expected = {"avg": "GlobalAveragePooling", "max": "GlobalMaxPooling"}[pooling] + f"{dims}D"
    assert model.get_layer("pool").__class__.__name__ == expected
    assert forward(model, shape).shape == (2, 3)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("conv_bias", [True, False])
def test_conv_bias(conv_bias, version):
    shape = tiny_shape(2, "imagenet")
    model = zoo.create_model(
        "resnet50", num_classes=3, input_shape=shape, conv_bias=conv_bias, version=version, **TINY
    )
    forward(model, shape)
    biased = {layer.name for layer in model.layers if getattr(layer, "use_bias", False) and "conv" in layer.name}
    if not conv_bias:
        assert biased == set()
    elif version == 1:  # keras.applications' ResNet50: every conv
        convs = {layer.name for layer in model.layers if layer.__class__.__name__ == "Conv2D"}
        assert biased == convs
    else:  # keras.applications' ResNet50V2: only the convs that no batch norm follows
        assert "stem_conv" in biased and "stage2_block1_conv3" in biased and "stage2_block1_shortcut_conv" in biased
        assert "stage2_block1_conv1" not in biased and "stage2_block1_conv2" not in biased


def test_too_small_input_is_refused_before_building():
    with pytest.raises(ValueError, match=r"downsamples by 32: each spatial side must be at least 32\. "
                                         r"Received: input_shape=\(16, 16, 3\)"):
        zoo.create_model("resnet50", input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match=r"at least 4\. Received: input_shape=\(32, 3, 3\)"):
        zoo.create_model("resnet20", input_shape=(32, 3, 3))
    with pytest.raises(ValueError, match=r"the sequence must be at least 32"):
        zoo.create_model("resnet18_1d", input_shape=(31, 1))


def test_wrong_rank_is_refused():
    with pytest.raises(ValueError, match=r"resnet20_1d takes sequence inputs.*Received: input_shape=\(32, 32, 3\)"):
        zoo.create_model("resnet20_1d", input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"dims=1 takes inputs of shape \(steps, channels\)"):
        zoo.create_model("resnet18", dims=1)


@pytest.mark.parametrize("overrides, message", [
    (dict(block="huge"), r"block must be one of \('basic', 'bottleneck'\)\. Received: block='huge'"),
    (dict(version=3), r"Received: version=3"),
    (dict(version=True), r"Received: version=True"),
    (dict(stem="tiny"), r"Received: stem='tiny'"),
    (dict(shortcut="conv"), r"Received: shortcut='conv'"),
    (dict(pooling="sum"), r"Received: pooling='sum'"),
    (dict(dims=3), r"Received: dims=3"),
    (dict(conv_bias="yes"), r"Received: conv_bias='yes'"),
    (dict(stage_blocks=(2, 0)), r"Received: stage_blocks=\(2, 0\)"),
    (dict(stage_widths=(64, 128)), r"one width per stage.*Received: stage_widths=\(64, 128\)"),
    (dict(stage_widths=(64, 32, 32, 32), shortcut="zero_pad"), r"must not decrease"),
    (dict(head_dropout=1.0), r"Received: head_dropout=1\.0"),
])
def test_invalid_config_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.create_model("resnet50", **overrides)


def test_zero_pad_shortcut_values():
    import keras

    from keras_zoo.layers import ZeroPadShortcut

    x = np.arange(2 * 5 * 5 * 3, dtype="float32").reshape(2, 5, 5, 3)
    y = keras.ops.convert_to_numpy(ZeroPadShortcut(channels=7, strides=2)(x))
    np.testing.assert_array_equal(y[..., :3], x[:, ::2, ::2, :])
    assert y.shape == (2, 3, 3, 7) and not y[..., 3:].any()
    seq = np.ones((1, 6, 2), dtype="float32")
    assert ZeroPadShortcut(channels=2)(seq).shape == (1, 6, 2)
    with pytest.raises(ValueError, match="can only add channels"):
        ZeroPadShortcut(channels=2)(x)


@pytest.mark.parametrize("version", [1, 2])
def test_zero_pad_model_round_trips_in_safe_mode(version, tmp_path):
    import keras

    model = zoo.create_model("resnet20", num_classes=4, input_shape=(8, 8, 3), stage_blocks=(1, 1, 1), version=version)
    assert any(layer.__class__.__name__ == "ZeroPadShortcut" for layer in model.layers)
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    path = tmp_path / "resnet20.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_search_space_gives_valid_configs():
    import keras_tuner

    for name in ("resnet20", "resnet50"):
        config = registry.get_entry(name).config
        hp = keras_tuner.HyperParameters()
        overrides = registry.get_entry(name).family.search_space(hp, config)
        assert isinstance(dataclasses.replace(config, **overrides), ResNetConfig)
        assert {"width_multiplier", "version", "pooling", "head_dropout"} <= set(hp.values)
