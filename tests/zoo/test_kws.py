"""The keyword-spotting family: registrations, sizes against the papers, SubSpectralNorm, bad inputs, learning."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.kws import BCResNetConfig, CRNNConfig, DSCNNConfig, KWTConfig, bc_resnet_frequency_bins

KWS_MODELS = ["bc_resnet_1", "bc_resnet_3", "bc_resnet_8", "crnn", "ds_cnn_medium", "ds_cnn_small", "kwt_1", "kwt_2",
              "kwt_3"]
ARXIV = {"ds_cnn": "1711.07128", "bc_resnet": "2106.04140", "crnn": "1703.05390", "kwt": "2104.00769"}


def trainable_params(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_registered_models():
    assert zoo.list_models(family="kws") == KWS_MODELS
    assert set(KWS_MODELS) <= set(zoo.list_models(domain="speech"))
    for name in KWS_MODELS:
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == (
            "sequence", (98, 40), 20, ("speech",))
        assert entry.params is not None and entry.description
        arxiv = next(v for k, v in ARXIV.items() if name.startswith(k))
        assert f"arxiv.org/abs/{arxiv}" in entry.reference
    card = str(zoo.model_info("kwt_1"))
    assert "family        kws" in card and "sub_bands" not in card and "mlp_dim" in card


@pytest.mark.parametrize("name", ["ds_cnn_small", "bc_resnet_1", "crnn", "kwt_1"])
def test_default_model_gives_probabilities_over_20_words(name):
    model = zoo.create_model(name)
    x = np.random.default_rng(0).normal(size=(2, 98, 40)).astype("float32")
    probs = model.predict(x, verbose=0)
    assert model.name == name and model.input_shape == (None, 98, 40)
    assert probs.shape == (2, 20)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Sizes: independent counts from the papers and their reference code (12 classes there).


def test_bc_resnet_sizes_match_the_paper():
    """Table 2 of Kim et al.: BC-ResNet-1, -3, -8 have 9.2K, 54.2K, 321K parameters (12 classes).

    The paper counts what PyTorch calls parameters (batch-norm scale and offset, not its running
    statistics): Keras's trainable weights. BC-ResNet-1 counted by hand, layer by layer:
    """
    stem = 25 * 16 + 2 * 16

    def block(c_in, c):  # [transition 1x1 conv + BN] + freq depthwise + SSN(5 bands) + time depthwise + BN + 1x1
        return (c_in * c + 2 * c if c_in != c else 0) + 3 * c + 2 * 5 * c + 3 * c + 2 * c + c * c

    layout = [(16, 8, 2), (8, 12, 2), (12, 16, 4), (16, 20, 4)]  # (channels in, channels, blocks) per stage
    stages = sum(block(c_in, c) + (n - 1) * block(c, c) for c_in, c, n in layout)
    classifier = 25 * 20 + 20 * 32 + 2 * 32 + (32 * 12 + 12)
    assert stem + stages + classifier == 9_232
    names = ["bc_resnet_1", "bc_resnet_3", "bc_resnet_8"]
    sizes = {name: trainable_params(zoo.create_model(name, num_classes=12)) for name in names}
    assert sizes == {"bc_resnet_1": 9_232, "bc_resnet_3": 54_168, "bc_resnet_8": 321_068}


def test_ds_cnn_small_size_matches_the_reference_keras_model():
    """ARM's Keras DS-CNN (conv with bias + BN + ReLU, 4 x [depthwise + BN + ReLU, 1x1 + BN + ReLU]), 12 classes."""
    bn = 4 * 64  # gamma, beta, moving mean and variance
    expected = (10 * 4 * 64 + 64 + bn) + 4 * ((9 * 64 + 64 + bn) + (64 * 64 + 64 + bn)) + (64 * 12 + 12)
    assert zoo.create_model("ds_cnn_small", num_classes=12).count_params() == expected == 24_908


def test_kwt_1_size_is_the_papers_plus_attention_biases_and_final_norm():
    """KWT-1 has 607K parameters (Berg et al., table 1): 607,308 in the authors' code, 12 classes.

    Ours adds the query/key/value biases of keras.layers.MultiHeadAttention (the authors' attention
    has none) and the final layer norm of a pre-norm encoder (their post-norm blocks need none).
    """
    d, mlp, depth, frames = 64, 256, 12, 98
    block = 3 * d * d + (d * d + d) + 2 * 2 * d + (d * mlp + mlp + mlp * d + d)
    official = depth * block + (40 * d + d) + d + (frames + 1) * d + (d * 12 + 12)
    assert official == 607_308
    assert zoo.create_model("kwt_1", num_classes=12).count_params() == official + depth * 3 * d + 2 * d


def test_bc_resnet_layout():
    model = zoo.create_model("bc_resnet_1")
    assert bc_resnet_frequency_bins(40) == (20, 20, 10, 5, 5)
    # (frequency, time, channels): the stem halves frequency; stages 2 and 3 halve it again; time is kept.
    assert model.get_layer("stem_conv").output.shape == (None, 20, 98, 16)
    widths = {1: (20, 8), 2: (10, 12), 3: (5, 16), 4: (5, 20)}
    for stage, (bins, channels) in widths.items():
        assert model.get_layer(f"stage{stage}_block2_relu").output.shape == (None, bins, 98, channels)
        assert model.get_layer(f"stage{stage}_block1_time_depthwise").dilation_rate == (1, 2 ** (stage - 1))
        # The temporal branch runs on the frequency average: one row, broadcast back by the add.
        assert model.get_layer(f"stage{stage}_block2_frequency_mean").output.shape == (None, 1, 98, channels)
        assert model.get_layer(f"stage{stage}_block2_ssn").sub_bands == 5
        assert model.get_layer(f"stage{stage}_block2_ssn").momentum == 0.9  # PyTorch's default, as the authors'
    assert "stage1_block1_transition_conv" in [layer.name for layer in model.layers]
    assert model.get_layer("final_depthwise").output.shape == (None, 1, 98, 20)
    assert model.get_layer("head").input.shape == (None, 32)


# ---------------------------------------------------------------------------------------------
# SubSpectralNorm


def banded_input(batch=16, bands=5, width=2, time=6, channels=3, seed=0):
    """(batch, frequency, time, channels) with sub-band i offset by 10**i and scaled by 10**i."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, bands, width, time, channels))
    scale = 10.0 ** np.arange(bands)[None, :, None, None, None]
    return (x * scale + scale).reshape(batch, bands * width, time, channels).astype("float32")


def test_subspectral_norm_normalises_each_sub_band_with_its_own_statistics():
    from keras_zoo.layers import SubSpectralNorm

    x = banded_input()
    y = SubSpectralNorm(5, epsilon=1e-6)(x, training=True).numpy().reshape(16, 5, 2, 6, 3)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-4)  # per (band, channel)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1.0, atol=1e-3)
    # The oracle: numpy over each (band, channel), statistics over batch, the band's bins and time.
    bands = x.reshape(16, 5, 2, 6, 3)
    mean, var = bands.mean(axis=(0, 2, 3), keepdims=True), bands.var(axis=(0, 2, 3), keepdims=True)
    expected = (bands - mean) / np.sqrt(var + 1e-6)
    np.testing.assert_allclose(y, expected, rtol=1e-3, atol=1e-3)
    # The control: one band for all frequencies is plain batch norm, and leaves the bands far apart.
    plain = SubSpectralNorm(1, epsilon=1e-6)(x, training=True).numpy().reshape(16, 5, 2, 6, 3)
    assert np.ptp(plain.mean(axis=(0, 2, 3))) > 1.0


def test_subspectral_norm_keeps_moving_statistics_per_band_and_freezes_like_batch_norm():
    import keras

    from keras_zoo.layers import SubSpectralNorm

    layer = SubSpectralNorm(5, momentum=0.0)  # momentum 0: the moving statistics are the last batch's
    x = banded_input()
    layer(x, training=True)
    assert isinstance(layer, keras.layers.BatchNormalization)
    assert tuple(layer.moving_mean.shape) == (5 * 3,) and tuple(layer.gamma.shape) == (5 * 3,)
    band_means = x.reshape(16, 5, 2, 6, 3).mean(axis=(0, 2, 3)).reshape(-1)  # (band, channel) order
    np.testing.assert_allclose(layer.moving_mean.numpy(), band_means, rtol=1e-4)
    # Inference (and a frozen layer in training) normalises with the moving statistics.
    inference = layer(x, training=False).numpy()
    layer.trainable = False
    np.testing.assert_allclose(layer(x, training=True).numpy(), inference, rtol=1e-5)
    assert abs(inference.reshape(16, 5, 2, 6, 3).mean(axis=(0, 2, 3))).max() < 1e-3


def test_subspectral_norm_round_trips_through_keras_file(tmp_path):
    import keras

    from keras_zoo.layers import SubSpectralNorm

    inputs = keras.Input((10, 6, 3))
    model = keras.Model(inputs, SubSpectralNorm(5, momentum=0.5, name="ssn")(inputs))
    x = banded_input()
    model(x, training=True)  # moving statistics away from their initial values
    restored = assert_round_trip(model, x, tmp_path)
    layer = restored.get_layer("ssn")
    assert type(layer) is SubSpectralNorm and layer.sub_bands == 5 and layer.momentum == 0.5
    np.testing.assert_allclose(layer.moving_variance.numpy(), model.get_layer("ssn").moving_variance.numpy())


def test_subspectral_norm_refuses_what_it_cannot_normalise():
    import keras

    from keras_zoo.layers import SubSpectralNorm

    with pytest.raises(ValueError, match=r"multiple of sub_bands=5\. Received: input_shape=\(None, 12, 6, 3\)"):
        SubSpectralNorm(5)(keras.Input((12, 6, 3)))
    with pytest.raises(ValueError, match=r"channels\) maps\. Received: input_shape=\(None, 10, 3\)"):
        SubSpectralNorm(5)(keras.Input((10, 3)))
    with pytest.raises(ValueError, match=r"Received: axis=1"):
        SubSpectralNorm(5, axis=1)
    with pytest.raises(ValueError, match=r"Received: sub_bands=0"):
        SubSpectralNorm(0)


# ---------------------------------------------------------------------------------------------
# Inputs and configs


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("ds_cnn_small", (5, 40), r"ds_cnn_small: The first convolution spans 10 frames x 4 features: inputs need at "
                                  r"least 10 frames and 4 features .*Received: input_shape=\(5, 40\)"),
        ("crnn", (12, 40), r"crnn: The convolution \(without padding\) spans 20 frames x 5 features: .*least 20 frames"),
        ("crnn", (98, 4), r"at least 20 frames and 5 features .*Received: input_shape=\(98, 4\)"),
        ("bc_resnet_1", (98, 32), r"bc_resnet_1: BC-ResNet halves the 32 features three times \(to 16, 8, 4 frequency "
                                  r"bins\): each must split into sub_bands=5 .*Received: input_shape=\(98, 32\)"),
        ("bc_resnet_1", (98, 20), r"the last must be at least 5 wide"),
        ("kwt_1", (98, 40, 1), r"kwt_1 takes sequence inputs of shape \(steps, features\)"),
    ],
)
def test_impossible_inputs_fail_before_building(name, shape, message):
    with pytest.raises(ValueError, match=message):
        zoo.create_model(name, input_shape=shape)


def test_other_input_sizes_build():
    x = np.zeros((1, 49, 80), "float32")
    for name, overrides in [("bc_resnet_1", {}), ("ds_cnn_small", {}), ("crnn", {}), ("kwt_1", dict(depth=1))]:
        model = zoo.create_model(name, num_classes=3, input_shape=(49, 80), **overrides)
        assert model.predict(x, verbose=0).shape == (1, 3)
    zoo.create_model("bc_resnet_1", input_shape=(98, 48), sub_bands=3)  # 24, 12, 6 bins: 3 sub-bands fit
    zoo.create_model("crnn", input_shape=(12, 40), kernel_size=(3, 3), strides=(1, 1))


@pytest.mark.parametrize(
    "config_class, field, value, match",
    [
        (DSCNNConfig, "filters", 0, r"Received: filters=0"),
        (DSCNNConfig, "stem_kernel", (10,), r"\(frames, features\) pair of positive ints\. Received: stem_kernel=\(10,\)"),
        (DSCNNConfig, "first_block_strides", (2, 0), r"Received: first_block_strides=\(2, 0\)"),
        (DSCNNConfig, "bn_momentum", 1.0, r"Received: bn_momentum=1.0"),
        (BCResNetConfig, "base_channels", 2.5, r"Received: base_channels=2.5"),
        (BCResNetConfig, "dropout", 1.0, r"Received: dropout=1.0"),
        (BCResNetConfig, "sub_bands", 0, r"Received: sub_bands=0"),
        (BCResNetConfig, "bn_momentum", "0.9", r"Received: bn_momentum='0.9'"),
        (CRNNConfig, "gru_units", (), r"Received: gru_units=\(\)"),
        (CRNNConfig, "bidirectional", 1, r"must be True or False\. Received: bidirectional=1"),
        (CRNNConfig, "strides", (8, 2, 1), r"Received: strides=\(8, 2, 1\)"),
        (CRNNConfig, "bn_momentum", -0.5, r"Received: bn_momentum=-0.5"),
        (KWTConfig, "heads", 3, r"heads must divide dim=64 .*Received: heads=3"),
        (KWTConfig, "norm_epsilon", 0, r"Received: norm_epsilon=0"),
        (KWTConfig, "head_dropout", -0.1, r"Received: head_dropout=-0.1"),
    ],
)
def test_invalid_fields_are_rejected(config_class, field, value, match):
    with pytest.raises(ValueError, match=match + "$"):
        config_class(**{field: value})


# ---------------------------------------------------------------------------------------------
# Options, search spaces, training, transfer


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize(
    "name, overrides, present, absent",
    [
        ("ds_cnn_small", dict(filters=8, blocks=2, first_block_strides=(2, 2), head_dropout=0.2, bn_momentum=0.9),
         ["block_2_pointwise", "head_dropout"], ["block_3_depthwise"]),
        ("bc_resnet_1", dict(dropout=0.0, sub_bands=1, bn_momentum=0.99), ["stage4_block4_ssn"],
         ["stage1_block1_dropout"]),
        ("bc_resnet_1", dict(base_channels=4), ["stage1_block2_dropout"], []),
        ("crnn", dict(filters=4, gru_units=(8,), bidirectional=False, dense_units=8, dropout=0.1, bn_momentum=0.9),
         ["gru_0", "gru_0_dropout", "dense_1_dropout"], ["bidirectional_gru_0", "gru_1"]),
        ("kwt_1", dict(dim=16, depth=2, heads=2, mlp_dim=32, dropout=0.1, attention_dropout=0.1),
         ["position_dropout", "block_1_mlp_dropout1"], ["block_2_norm1"]),
    ],
    ids=["ds_cnn", "bc_resnet_plain_bn", "bc_resnet_narrow", "crnn_unidirectional", "kwt_dropout"],
)
def test_options_build_train_and_round_trip(name, overrides, present, absent, tmp_path):
    import keras

    model = zoo.create_model(name, num_classes=3, input_shape=(40, 40), **overrides)
    x = np.random.default_rng(0).normal(size=(2, 40, 40)).astype("float32")
    assert forward_backward(model, x, np.array([0, 2])).shape == (2, 3)
    names = {layer.name for layer in model.layers}
    assert set(present) <= names and not set(absent) & names
    momentum = overrides.get("bn_momentum")
    if momentum is not None:
        norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        assert norms and all(layer.momentum == momentum for layer in norms)
    assert_round_trip(model, x, tmp_path)


@pytest.mark.parametrize("name", ["ds_cnn_small", "bc_resnet_1", "crnn", "kwt_1"])
def test_search_space_gives_a_model_that_builds(name):
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    entry = registry.get_entry(name)
    overrides = entry.family.search_space(hp, entry.config)
    assert hp.space and overrides
    model = zoo.create_model(name, num_classes=4, input_shape=(40, 40), **overrides)  # the space's first values
    assert model.output_shape == (None, 4)


def band_energy_task(n, frames=32, features=16, seed=0):
    """Noise frames; label 0: a burst of energy in the low features, label 1: in the high ones, at a random time."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, frames, features)).astype("float32")
    y = np.arange(n) % 2
    for row, label in zip(x, y):
        start = rng.integers(0, frames - 8)
        low = slice(0, features // 2) if label == 0 else slice(features // 2, features)
        row[start:start + 8, low] += 2.0
    return x, y.astype("int32")


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize(
    "name, overrides",
    [
        ("ds_cnn_small", dict(filters=16, blocks=2)),
        ("crnn", dict(filters=8, kernel_size=(4, 4), strides=(2, 2), gru_units=(16,), dense_units=16)),
    ],
)
def test_learns_which_band_holds_the_energy(name, overrides):
    """Held-out accuracy, in inference mode: the batch norms' moving statistics must have caught up too."""
    import keras

    keras.utils.set_random_seed(0)
    x, y = band_energy_task(256)
    x_test, y_test = band_energy_task(128, seed=1)
    model = zoo.create_model(name, num_classes=2, input_shape=(32, 16), **overrides)
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] > 0.9


def test_head_replacement_and_frozen_backbone(tmp_path):
    import keras

    import keras_zoo.transfer

    model = zoo.create_model("bc_resnet_1", num_classes=20)
    new = zoo.transfer.replace_head(model, 5)
    assert new.output_shape == (None, 5) and new.name == "bc_resnet_1"
    assert new.get_layer("final_conv") is model.get_layer("final_conv")  # the backbone is shared
    assert new.zoo_spec.num_classes == 5
    assert new.zoo_spec.build().output_shape == (None, 5)
    blocks = [block[0].name for block in zoo.transfer.backbone_blocks(new)]
    assert blocks[1:4] == ["stem_conv", "stage1_block1_transition_conv", "stage1_block2_frequency_depthwise"]
    zoo.transfer.freeze_backbone(new, trainable_top_blocks=1)
    # The top block trains, but its SubSpectralNorm stays frozen with the other batch norms.
    assert new.get_layer("stage4_block4_pointwise").trainable and new.get_layer("final_conv").trainable
    assert not new.get_layer("stage4_block4_ssn").trainable and not new.get_layer("stage4_block3_pointwise").trainable
    x = np.random.default_rng(0).normal(size=(2, 98, 40)).astype("float32")
    assert isinstance(assert_round_trip(new, x, tmp_path), keras.Model)
