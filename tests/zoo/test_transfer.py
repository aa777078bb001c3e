"""zoo.transfer: new heads, adapted input channels, frozen backbones, two-phase fine-tuning."""

import dataclasses

import keras
import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo import transfer
from keras_zoo.layers import classification_head

RESNET_TINY = dict(input_shape=(8, 8, 3), stage_blocks=(1, 1, 1))  # stem + 3 basic blocks, widths 16/32/64
VIT_TINY = dict(dim=8, depth=2, heads=2, mlp_dim=16, patch_size=4)
FRAMES_TINY = dict(dim=8, depth=1, heads=2, mlp_dim=16, dropout=0.0)


def resnet(**overrides):
    return zoo.create_model("resnet20", num_classes=4, **{**RESNET_TINY, **overrides})


def images(n=4, shape=(8, 8, 3), seed=0):
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype("float32")


def snapshot(model):
    """Every weight of the model (batch-norm moving statistics included), by layer and index."""
    return {
        (layer.name, i): keras.ops.convert_to_numpy(w).copy()
        for layer in transfer._leaf_layers(model)
        for i, w in enumerate(layer.weights)
        if "seed_generator" not in w.path
    }


def changed(before, after):
    return {key for key in before if not np.array_equal(before[key], after[key])}


def train_one_step(model, x, y, learning_rate=0.05):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)


def plain_model_with_head():
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(2, name="logits")(inputs), name="plain")


# --- replace_head ---------------------------------------------------------------------------


def test_replace_head_keeps_backbone_and_makes_a_fresh_head(tmp_path):
    model = resnet()
    before = snapshot(model)
    x = images()
    old_out = keras.ops.convert_to_numpy(model(x))

    new = transfer.replace_head(model, 7)
    assert new.name == model.name == "resnet20"
    assert tuple(new.output.shape) == (None, 7) and new(x).shape == (4, 7)
    for layer in transfer.backbone_blocks(new)[0] + transfer.backbone_blocks(new)[-1]:
        assert layer is model.get_layer(layer.name)  # shared, not copied
    after = snapshot(new)
    for key, value in before.items():
        if key[0] != "head":
            assert np.array_equal(value, after[key]), key
    assert new.get_layer("head") is not model.get_layer("head")
    assert tuple(new.get_layer("head").kernel.shape) == (64, 7)
    assert new.get_layer("predictions").get_config()["activation"] == "softmax"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), old_out)  # the old model still works

    spec = new.zoo_spec
    assert spec.num_classes == 7 and spec.config.classifier_activation == "softmax"
    assert spec.input_shape == (8, 8, 3) and spec.model == "resnet20"
    assert spec.build().count_params() == new.count_params()

    train_one_step(new, x, np.array([0, 1, 2, 6]))
    assert changed(after, snapshot(new))  # it trains
    path = tmp_path / "new.keras"
    new.save(path)
    restored = zoo.load_model(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), new.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_replace_head_activation_and_dropout():
    model = resnet(head_dropout=0.2, classifier_activation=None)
    kept = transfer.replace_head(model, 3)
    assert kept.get_layer("head_dropout").rate == pytest.approx(0.2)
    assert not any(layer.name == "predictions" for layer in kept.layers)
    # The new head reads the features, not the old dropout's output: one dropout, not two.
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in kept.layers) == 1

    binary = transfer.replace_head(model, 1, classifier_activation="sigmoid", dropout=0.0)
    assert binary.get_layer("predictions").get_config()["activation"] == "sigmoid"
    assert not any(layer.name == "head_dropout" for layer in binary.layers)
    config = binary.zoo_spec.config
    assert (config.classifier_activation, config.head_dropout, binary.zoo_spec.num_classes) == ("sigmoid", 0.0, 1)
    assert model.zoo_spec.config.classifier_activation is None  # the old spec is untouched

    grey = transfer.adapt_input_channels(kept, 1)  # the updated spec rebuilds the new architecture
    assert tuple(grey.output.shape) == (None, 3) and grey.get_layer("head_dropout").rate == pytest.approx(0.2)
    np.testing.assert_array_equal(grey.get_layer("head").kernel.numpy(), kept.get_layer("head").kernel.numpy())


# --- adapt_input_channels -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["average", "replicate"])
@pytest.mark.parametrize("old, new", [(1, 3), (3, 1), (3, 4)])
def test_adapt_input_channels_kernel_math(old, new, method):
    model = resnet(input_shape=(8, 8, old))
    adapted = transfer.adapt_input_channels(model, new, method=method)
    assert tuple(adapted.input.shape) == (None, 8, 8, new)
    assert adapted.zoo_spec.input_shape == (8, 8, new)

    before, after = snapshot(model), snapshot(adapted)
    assert before.keys() == after.keys()
    first = ("stem_conv", 0)
    for key in before:
        if key != first:
            assert np.array_equal(before[key], after[key]), key
    kernel, result = before[first], after[first]  # (3, 3, in, 16)
    assert result.shape == (3, 3, new, 16)
    if (old, new) == (1, 3):  # both methods: the grey filter on every channel, divided by 3
        expected = np.repeat(kernel, 3, axis=2) / 3
    elif (old, new) == (3, 1):
        expected = kernel.sum(axis=2, keepdims=True) if method == "average" else kernel[:, :, :1] * 3
    elif method == "average":  # 3 -> 4
        expected = np.repeat(kernel.mean(axis=2, keepdims=True), 4, axis=2) * 3 / 4
    else:  # R, G, B, R, scaled by 3 / 4
        expected = kernel[:, :, [0, 1, 2, 0]] * 3 / 4
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-7)


def assert_same_on_grey(model, old, new, grey):
    """The adapted model on a grey input in `new` channels == the model on it in `old` channels."""
    adapted = transfer.adapt_input_channels(model, new)
    out_old = keras.ops.convert_to_numpy(model(np.repeat(grey, old, axis=-1)))
    out_new = keras.ops.convert_to_numpy(adapted(np.repeat(grey, new, axis=-1)))
    np.testing.assert_allclose(out_new, out_old, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("old, new", [(1, 3), (3, 1)])
def test_adapt_input_channels_average_keeps_grey_outputs(old, new):
    grey = images(shape=(8, 8, 1), seed=1)
    assert_same_on_grey(resnet(input_shape=(8, 8, old), classifier_activation=None), old, new, grey)


@pytest.mark.parametrize(
    "name, overrides, shape",
    [
        ("vit_tiny", VIT_TINY, (8, 8)),  # a patch-embedding convolution
        ("transformer_frames_tiny", FRAMES_TINY, (6,)),  # a dense frame projection
        ("mlp_small", dict(hidden_units=(8,)), (4, 4)),  # a dense layer on flattened pixels
        ("cnn_small", dict(stage_widths=(4, 8), batch_norm=True), (8, 8)),
    ],
)
def test_adapt_input_channels_other_first_layers(name, overrides, shape):
    grey = images(shape=(*shape, 1), seed=2)
    for old, new in ((1, 3), (3, 1)):
        model = zoo.create_model(
            name, input_shape=(*shape, old), num_classes=3, classifier_activation=None, **overrides
        )
        assert_same_on_grey(model, old, new, grey)


def test_adapt_input_channels_keeps_trainable_flags():
    model = resnet(input_shape=(8, 8, 1))
    transfer.freeze_backbone(model)
    adapted = transfer.adapt_input_channels(model, 3)
    assert [layer.trainable for layer in adapted.layers] == [layer.trainable for layer in model.layers]


def test_adapt_input_channels_refuses():
    with pytest.raises(ValueError, match=r"no channel axis.*Received: model='transformer_text_tiny'"):
        transfer.adapt_input_channels(
            zoo.create_model("transformer_text_tiny", input_shape=(8,), vocab_size=50, dim=8, mlp_dim=8), 3
        )
    with pytest.raises(ValueError, match=r"needs a model made by zoo.create_model.*Received: model='plain'"):
        transfer.adapt_input_channels(plain_model_with_head(), 3)
    model = resnet()
    model.zoo_spec = dataclasses.replace(
        model.zoo_spec, config=dataclasses.replace(model.zoo_spec.config, stage_blocks=(2, 1, 1))
    )
    with pytest.raises(ValueError, match="rebuilt model has .* layers"):
        transfer.adapt_input_channels(model, 1)
    model.zoo_spec = dataclasses.replace(
        model.zoo_spec, config=dataclasses.replace(model.zoo_spec.config, stage_blocks=(1, 1, 1), stage_widths=(8, 32, 64))
    )
    with pytest.raises(ValueError, match="architectures do not line up"):
        transfer.adapt_input_channels(model, 1)


# --- backbone_blocks, freeze_backbone, unfreeze ---------------------------------------------


def prefixes(blocks):
    return [block[0].name for block in blocks]


def test_backbone_blocks_resnet():
    model = resnet(stage_blocks=(2, 1, 1), version=2)
    blocks = transfer.backbone_blocks(model)
    assert prefixes(blocks) == [
        "stem_conv", "stage1_block1_preact_bn", "stage1_block2_preact_bn", "stage2_block1_preact_bn",
        "stage3_block1_preact_bn",
    ]
    assert [layer.name for layer in blocks[0]] == ["stem_conv"]  # a v2 stem has no batch norm
    *middle, last = blocks[1:]
    for block in middle:
        prefix = "_".join(block[0].name.split("_")[:2]) + "_"
        assert all(layer.name.startswith(prefix) for layer in block)
    assert all(layer.name.startswith("stage3_block1_") for layer in last[:-3])
    assert [layer.name for layer in last[-3:]] == ["post_bn", "post_relu", "pool"]  # unnamed: join the last block
    listed = [layer.name for block in blocks for layer in block]
    assert listed == [layer.name for layer in model.layers[1:-2]]  # in order; no input, no head


@pytest.mark.parametrize(
    "name, overrides, input_shape, expected",
    [
        ("vit_tiny", VIT_TINY, (8, 8, 3), ["patch_embedding", "block_0_norm1", "block_1_norm1"]),
        ("cnn_small", dict(dense_units=(8,)), (8, 8, 3), ["stage1_conv1", "stage2_conv1", "dense_0"]),
        ("lstm_text_bidir", dict(units=(4, 4), vocab_size=20, embedding_dim=4), (5,),
         ["token_embedding", "bidirectional_lstm_0", "bidirectional_lstm_1"]),
    ],
)
def test_backbone_blocks_other_families(name, overrides, input_shape, expected):
    model = zoo.create_model(name, input_shape=input_shape, num_classes=2, **overrides)
    assert prefixes(transfer.backbone_blocks(model)) == expected


def test_backbone_blocks_keras_applications_names():
    """The names keras.applications use (ResNet50, MobileNetV2, EfficientNet), in a stand-in model."""
    inputs = keras.Input((4,))
    x = inputs
    names = [
        "rescaling", "conv1_conv", "conv1_bn", "pool1_pool", "conv2_block1_1_conv", "conv2_block1_out",
        "conv2_block2_1_conv", "block_1_expand", "block_1_expand_BN", "block1a_dwconv", "block1b_dwconv",
        "Conv_1", "avg_pool", "conv2_block1_late",
    ]
    for name in names:
        x = keras.layers.Dense(4, name=name)(x)
    model = keras.Model(inputs, classification_head(x, 2))
    assert [[layer.name for layer in block] for block in transfer.backbone_blocks(model)] == [
        ["rescaling"],
        ["conv1_conv", "conv1_bn", "pool1_pool"],
        ["conv2_block1_1_conv", "conv2_block1_out", "conv2_block1_late"],  # a block's layers, wherever they are
        ["conv2_block2_1_conv"],
        ["block_1_expand", "block_1_expand_BN"],
        ["block1a_dwconv"],
        ["block1b_dwconv", "Conv_1", "avg_pool"],
    ]


def test_freeze_backbone_trains_only_the_head():
    model = resnet()
    x, y = images(), np.array([0, 1, 2, 3])
    transfer.freeze_backbone(model)
    assert {w.path.split("/")[0] for w in model.trainable_weights} == {"head"}
    # Frozen batch norms run in inference mode even when training: same output either way.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x, training=True)), keras.ops.convert_to_numpy(model(x, training=False)),
        rtol=1e-5, atol=1e-6,
    )
    before = snapshot(model)
    train_one_step(model, x, y)
    assert changed(before, snapshot(model)) == {("head", 0), ("head", 1)}  # moving statistics included


@pytest.mark.parametrize("freeze_batch_norm", [True, False])
def test_freeze_backbone_top_block(freeze_batch_norm):
    model = resnet()
    x, y = images(), np.array([0, 1, 2, 3])
    transfer.freeze_backbone(model, trainable_top_blocks=1, freeze_batch_norm=freeze_batch_norm)
    last = {layer.name for layer in transfer.backbone_blocks(model)[-1]}
    before = snapshot(model)
    train_one_step(model, x, y)
    moved = changed(before, snapshot(model))
    assert {name for name, _ in moved} - {"head"} <= last  # nothing outside the last block moved
    convs = {("stage3_block1_conv1", 0), ("stage3_block1_conv2", 0)}
    batch_norms = {(f"stage3_block1_bn{i}", j) for i in (1, 2) for j in range(4)}  # gamma, beta, mean, variance
    assert convs <= moved
    if freeze_batch_norm:
        assert not moved & batch_norms
    else:
        assert batch_norms <= moved


def test_unfreeze_and_top_blocks_beyond_the_backbone():
    model = resnet()
    everything = len(model.trainable_weights)
    transfer.freeze_backbone(model, trainable_top_blocks=100, freeze_batch_norm=False)
    assert len(model.trainable_weights) == everything
    transfer.freeze_backbone(model, trainable_top_blocks=2)
    assert 2 < len(model.trainable_weights) < everything
    transfer.unfreeze(model)
    assert len(model.trainable_weights) == everything
    assert all(layer.trainable for layer in model.layers)


def test_nested_keras_applications_backbone():
    """A keras.applications backbone used as one layer: its layers are opened, frozen one by one."""
    base = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None, pooling="avg"
    )
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, classification_head(base(inputs), 3), name="mobilenet")
    blocks = transfer.backbone_blocks(model)
    assert prefixes(blocks) == ["Conv1"] + [f"block_{i}_expand" for i in range(1, 17)]
    transfer.freeze_backbone(model, trainable_top_blocks=1)
    trainable = {w.path.split("/")[-2] for w in model.trainable_weights}
    assert trainable == {"block_16_expand", "block_16_depthwise", "block_16_project", "Conv_1", "head"}
    assert transfer.feature_extractor(model).output.shape == (None, base.output.shape[-1])
    assert transfer.replace_head(model, 5).output.shape == (None, 5)


def test_keras_applications_family():
    """A registry model on a keras.applications backbone: blocks, freezing, a new head, grey input."""
    model = zoo.create_model("keras_efficientnet_b0", input_shape=(32, 32, 3), num_classes=3)
    blocks = transfer.backbone_blocks(model)
    # keras.applications leaves EfficientNet's first layer unnamed: "rescaling", "rescaling_9", ...
    assert prefixes(blocks)[0].startswith("rescaling")
    assert prefixes(blocks)[1:3] == ["stem_conv_pad", "block1a_dwconv"]
    assert prefixes(blocks)[-1] == "block7a_expand_conv" and blocks[-1][-1].name == "avg_pool"
    transfer.freeze_backbone(model, trainable_top_blocks=1)
    assert {w.path.split("/")[0] for w in model.trainable_weights} <= {layer.name for layer in blocks[-1]} | {"head"}
    assert transfer.replace_head(model, 5).output.shape == (None, 5)

    norm = next(layer for layer in model.layers if isinstance(layer, keras.layers.Normalization))
    norm.adapt_mean.assign([100.0, 120.0, 90.0])
    norm.adapt_variance.assign([3000.0, 2500.0, 2000.0])
    norm.finalize_state()
    grey = transfer.adapt_input_channels(model, 1)
    grey_norm = next(layer for layer in grey.layers if isinstance(layer, keras.layers.Normalization))
    # Per-channel statistics are averaged, not scaled, and the layer computes with them.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grey_norm.mean).ravel(), [310 / 3], rtol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grey_norm.variance).ravel(), [2500], rtol=1e-6)
    assert grey(images(n=1, shape=(32, 32, 1))).shape == (1, 3)


def test_per_channel_vectors():
    vector = np.array([1.0, 2.0, 3.0], dtype="float32")
    np.testing.assert_allclose(transfer._adapt_weight(vector, (1,), 3, 1, "average", "norm"), [2.0])
    np.testing.assert_allclose(transfer._adapt_weight(vector, (4,), 3, 4, "replicate", "norm"), [1, 2, 3, 1])
    with pytest.raises(ValueError, match="neither a kernel .* nor a per-channel vector"):
        transfer._adapt_weight(vector, (2,), 3, 1, "average", "norm")


# --- feature_extractor ----------------------------------------------------------------------


def test_feature_extractor_resnet():
    model = resnet(head_dropout=0.3)
    extractor = transfer.feature_extractor(model)
    head = model.get_layer("head")
    assert extractor.name == "resnet20_features"
    assert tuple(extractor.output.shape) == (None, head.kernel.shape[0]) == (None, 64)
    assert extractor.get_layer("stem_conv") is model.get_layer("stem_conv")
    x = images()
    features = keras.ops.convert_to_numpy(extractor(x))
    logits = features @ keras.ops.convert_to_numpy(head.kernel) + keras.ops.convert_to_numpy(head.bias)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, keras.ops.convert_to_numpy(model(x)), rtol=1e-5, atol=1e-6)


def test_stage_maps_are_the_outputs_of_each_resolution_last_block():
    model = zoo.create_model("resnet20", input_shape=(32, 32, 3), num_classes=10)
    extractor = transfer.feature_extractor(model, stages=True)
    assert list(extractor.output) == ["stage1", "stage2", "stage3", "pooled"]
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    out = extractor.predict(x, verbose=0)
    for stage, layer in (("stage1", "stage1_block3_out"), ("stage2", "stage2_block3_out"), ("stage3", "stage3_block3_out")):
        inner = keras.Model(model.input, model.get_layer(layer).output).predict(x, verbose=0)
        np.testing.assert_allclose(out[stage], inner, rtol=1e-5, atol=1e-6)
    assert [out[s].shape[1:] for s in ("stage1", "stage2", "stage3")] == [(32, 32, 16), (16, 16, 32), (8, 8, 64)]
    np.testing.assert_allclose(out["pooled"], transfer.feature_extractor(model).predict(x, verbose=0), rtol=1e-5)


def test_features_only_keeps_the_checkpoint_weights():
    x = np.random.default_rng(1).random((3, 8, 8, 1)).astype("float32")
    features = zoo.create_model("resnet20.digits", features_only=True).predict(x, verbose=0)
    expected = transfer.feature_extractor(zoo.create_model("resnet20", pretrained="digits")).predict(x, verbose=0)
    np.testing.assert_allclose(features["pooled"], expected, rtol=1e-5, atol=1e-6)


def test_a_recommender_gives_its_pair_features_and_refuses_stages():
    model = zoo.create_model("mf")
    ids = np.array([[1, 2], [3, 4]], dtype="int32")
    features = transfer.feature_extractor(model).predict(ids, verbose=0)
    np.testing.assert_allclose(features["user"], model.get_layer("user_embedding")(ids[:, 0]).numpy().reshape(2, -1),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="mf scores \\(user, item\\) pairs from embeddings: it has no stages"):
        transfer.feature_extractor(model, stages=True)


def test_feature_extractor_mlp_against_numpy():
    model = zoo.create_model("mlp_small", input_shape=(6,), num_classes=3, hidden_units=(5, 4))
    x = images(shape=(6,))
    weights = [keras.ops.convert_to_numpy(w) for w in model.weights]
    w0, b0, w1, b1 = weights[:4]
    expected = np.maximum(np.maximum(x @ w0 + b0, 0) @ w1 + b1, 0)
    np.testing.assert_allclose(transfer.feature_extractor(model).predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


# --- fine_tune ------------------------------------------------------------------------------


def learnable_problem(n=64, seed=0):
    """Bright-on-average images are class 1: easy from random convolutional features."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 8, 8, 1)).astype("float32") + (2 * y - 1)[:, None, None, None].astype("float32")
    return x, y


def test_fine_tune_two_phases():
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = zoo.create_model("cnn_small", input_shape=(8, 8, 1), num_classes=2, stage_widths=(4, 8))
    x, y = learnable_problem()
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    histories = transfer.fine_tune(
        model, train, (x[:16], y[:16]), head_epochs=3, fine_tune_epochs=3, unfreeze_top_blocks=1,
        head_learning_rate=0.05, fine_tune_learning_rate=0.01,
    )
    assert set(histories) == {"head", "fine_tune"}
    head, tune = histories["head"], histories["fine_tune"]
    assert len(head["loss"]) == len(tune["loss"]) == 3
    assert {"accuracy", "val_loss", "val_accuracy"} <= set(head) & set(tune)  # default metrics
    assert head["loss"][-1] < head["loss"][0]
    assert tune["loss"][-1] < head["loss"][0]
    # Phase 2 left the top block (stage2) and the head trainable, the rest frozen.
    assert {w.path.split("/")[0] for w in model.trainable_weights} == {"stage2_conv1", "head"}


def test_fine_tune_skips_a_phase():
    model = zoo.create_model("cnn_small", input_shape=(8, 8, 1), num_classes=2, stage_widths=(4, 8))
    x, y = learnable_problem(n=16)
    before = snapshot(model)
    histories = transfer.fine_tune(model, (x, y), head_epochs=1, fine_tune_epochs=0, batch_size=8)
    assert histories["fine_tune"] == {} and len(histories["head"]["loss"]) == 1
    assert {name for name, _ in changed(before, snapshot(model))} == {"head"}
    histories = transfer.fine_tune(model, (x, y), head_epochs=0, fine_tune_epochs=1, batch_size=8)
    assert histories["head"] == {} and len(histories["fine_tune"]["loss"]) == 1


# --- bad input ------------------------------------------------------------------------------


def test_bad_input():
    model = resnet()
    with pytest.raises(ValueError, match=r"Received: num_classes=0$"):
        transfer.replace_head(model, 0)
    with pytest.raises(ValueError, match=r"Received: classifier_activation='relu'$"):
        transfer.replace_head(model, 3, classifier_activation="relu")
    with pytest.raises(ValueError, match=r"Received: dropout=1.0$"):
        transfer.replace_head(model, 3, dropout=1.0)
    with pytest.raises(ValueError, match=r"softmax over one output.*Received: num_classes=1"):
        transfer.replace_head(model, 1)
    with pytest.raises(ValueError, match=r"Received: channels=0$"):
        transfer.adapt_input_channels(model, 0)
    with pytest.raises(ValueError, match=r"Received: method='median'$"):
        transfer.adapt_input_channels(model, 1, method="median")
    with pytest.raises(ValueError, match=r"Received: trainable_top_blocks=-1$"):
        transfer.freeze_backbone(model, trainable_top_blocks=-1)
    with pytest.raises(ValueError, match=r"Received: head_epochs=-1$"):
        transfer.fine_tune(model, (images(), np.zeros(4)), head_epochs=-1)
    with pytest.raises(ValueError, match=r"Received: fine_tune_learning_rate=0$"):
        transfer.fine_tune(model, (images(), np.zeros(4)), fine_tune_learning_rate=0)
    with pytest.raises(ValueError, match=r"fine_tune sets epochs itself.*Received: epochs=3$"):
        transfer.fine_tune(model, (images(), np.zeros(4)), epochs=3)


@pytest.mark.parametrize(
    "function",
    [
        lambda m: transfer.replace_head(m, 3),
        transfer.feature_extractor,
        transfer.backbone_blocks,
        transfer.freeze_backbone,
        lambda m: transfer.fine_tune(m, (np.zeros((2, 4)), np.zeros(2))),
    ],
)
def test_a_model_without_a_head(function):
    with pytest.raises(ValueError, match=r"ends in a Dense layer named 'head'.*zoo.create_model.*Received: model='plain'"):
        function(plain_model_with_head())
