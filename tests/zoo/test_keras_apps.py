"""The `keras` family: keras.applications backbones, their counts, and their ImageNet weights.

The ImageNet path runs for real against a local HTTP server: the test writes weights files in
keras.applications' own (legacy .h5) format under the names keras expects, points the
keras.applications modules' URL bases (and hashes) at the server, and lets keras.utils.get_file
download them into a temporary KERAS_HOME.
"""

import hashlib
import http.server
import subprocess
import sys
import threading

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo.checkpoints import ChecksumError, OfflineError

ENTRIES = {"keras_resnet50": "ResNet50", "keras_mobilenet_v2": "MobileNetV2", "keras_efficientnet_b0": "EfficientNetB0"}
SMALL = (32, 32, 3)
MOBILENET_TOP = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224.h5"  # 32x32 gets the 224 weights
MOBILENET_NOTOP = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
RESNET_TOP = "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
RESNET_NOTOP = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"


# ## Fixtures: a weights server, an empty Keras cache


class WeightsServer:
    """Serves the files of a folder over HTTP on 127.0.0.1 and records the paths asked for."""

    def __init__(self, folder):
        self.folder = folder
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    server = WeightsServer(folder)
    yield server
    server.close()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache: KERAS_HOME for the zoo, and Keras's own (read once at import) for keras.applications."""
    from keras.src.backend import config

    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    return home


def save_legacy_weights(model, path):
    """Write `model`'s weights in the legacy .h5 layout of keras.applications' published files."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


def perturb(model, inputs, seed=0):
    """Move every float weight off its initial value, then set the batch-norm statistics from `inputs`.

    Fresh weights with unit statistics give outputs that hardly depend on the input, so comparing
    two models on them would prove nothing; with the statistics of real activations they do.
    """
    import keras

    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "float" in str(w.dtype):
            value = np.asarray(w) * rng.uniform(0.8, 1.2, w.shape)
            w.assign(value + rng.uniform(0.0, 0.05, w.shape) if len(w.shape) <= 1 else value)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    drops = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    momenta, rates = [layer.momentum for layer in norms], [layer.rate for layer in drops]
    for layer in norms:
        layer.momentum = 0.0  # one training-mode pass sets the moving statistics to the batch's
    for layer in drops:
        layer.rate = 0.0
    model(inputs, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum
    for layer, rate in zip(drops, rates):
        layer.rate = rate
    return model


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pixels(shape, batch=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(batch, *shape)).astype("float32")


def assert_same_logits(actual, expected):
    """Equal logits, for a batch whose examples get clearly different logits (so equality means something)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert np.all(np.isfinite(expected))
    scale = np.abs(expected).max()
    assert np.abs(expected[0] - expected[1]).max() > 0.01 * scale
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


def assert_layers_hold(model, reference):
    """Every layer of `reference` that has weights has the same weights, under the same name, in `model`."""
    checked = 0
    for layer in reference.layers:
        if layer.weights:
            for got, want in zip(model.get_layer(layer.name).get_weights(), layer.get_weights()):
                np.testing.assert_array_equal(got, want)
            checked += 1
    assert checked > 50


# ## The registry entries


@pytest.mark.parametrize("name", ENTRIES)
def test_parameter_count_equals_keras_applications(name):
    import keras

    entry = zoo.registry.get_entry(name)
    model = zoo.create_model(name)
    reference = getattr(keras.applications, ENTRIES[name])(weights=None)
    assert model.count_params() == reference.count_params() == entry.params
    assert model.get_layer("head").units == 1000
    assert entry.family.name == "keras" and entry.family.builtin_weights == ("imagenet",)
    assert "arxiv.org/abs/" in entry.reference and entry.domains == ("vision",)


def test_listing_the_family_imports_no_keras():
    code = (
        "import sys, keras_zoo as zoo; assert zoo.list_models(family='keras') == "
        "['keras_efficientnet_b0', 'keras_mobilenet_v2', 'keras_resnet50']; "
        "zoo.model_info('keras_resnet50'); assert 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("name", ENTRIES)
def test_forward_pass_and_keras_round_trip(name, tmp_path):
    model = zoo.create_model(name, num_classes=4, input_shape=SMALL)
    assert model.name == name
    x = pixels(SMALL)
    probs = np.asarray(model(x))
    assert probs.shape == (2, 4) and np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)
    path = tmp_path / "model.keras"
    model.save(path)
    np.testing.assert_allclose(zoo.load_model(path)(x), probs, rtol=1e-5, atol=1e-6)


def test_max_pooling_is_max_pooling():
    import keras

    model = zoo.create_model(
        "keras_mobilenet_v2", num_classes=4, input_shape=SMALL, alpha=0.35, pooling="max", classifier_activation=None
    )
    assert isinstance(model.get_layer("max_pool"), keras.layers.GlobalMaxPooling2D)
    features = keras.Model(model.input, model.get_layer("head").input)
    last_map = keras.Model(model.input, model.get_layer("max_pool").input)
    x = pixels(SMALL)
    np.testing.assert_allclose(features(x), np.asarray(last_map(x)).max(axis=(1, 2)), rtol=1e-6)


@pytest.mark.parametrize("name, module", [("keras_resnet50", "resnet"), ("keras_mobilenet_v2", "mobilenet_v2")])
def test_preprocessing_equals_keras_preprocess_input(name, module):
    import importlib

    import keras

    model = zoo.create_model(name, input_shape=SMALL)
    scaled = keras.Model(model.input, model.get_layer("preprocessing").output)
    x = pixels(SMALL)
    expected = importlib.import_module(f"keras.applications.{module}").preprocess_input(x.copy())
    np.testing.assert_allclose(scaled(x), expected, rtol=1e-6, atol=1e-5)

    raw = zoo.create_model(name, input_shape=SMALL, include_preprocessing=False)
    assert "preprocessing" not in [layer.name for layer in raw.layers]
    assert raw.count_params() == model.count_params()


def test_search_space_gives_valid_overrides():
    import keras_tuner

    for name in ENTRIES:
        hp = keras_tuner.HyperParameters()
        overrides = zoo.registry.get_entry(name).family.search_space(hp, zoo.registry.resolve_config(name, {}))
        assert {"pooling", "head_dropout"} <= set(overrides)
        zoo.registry.resolve_config(name, overrides)
    hp = keras_tuner.HyperParameters()
    config = zoo.registry.resolve_config("keras_mobilenet_v2", {"weights": "imagenet"})
    assert "alpha" in zoo.registry.get_entry("keras_mobilenet_v2").family.search_space(hp, config)
    assert set(next(p for p in hp.space if p.name == "alpha").values) == {0.35, 0.5, 0.75, 1.0, 1.3, 1.4}


# ## Bad input: refused before anything is built or downloaded


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("keras_resnet50", dict(input_shape=(16, 16, 3)), r"at least 32x32.*Received: input_shape=\(16, 16, 3\)"),
        ("keras_mobilenet_v2", dict(input_shape=(64, 31, 3)), "at least 32x32"),
        ("keras_mobilenet_v2", dict(input_shape=(64, 64, 1), weights="imagenet"), r"3 \(RGB\) channels"),
        ("keras_efficientnet_b0", dict(input_shape=(64, 64, 4), weights="imagenet"), r"3 \(RGB\) channels"),
        ("keras_resnet50", dict(input_shape=(64, 64, 1)), "pass include_preprocessing=False"),
        ("keras_resnet50", dict(weights="foo"), r"weights must be one of .*Received: weights='foo'"),
        ("keras_resnet50", dict(pooling="mean"), "Received: pooling='mean'"),
        ("keras_resnet50", dict(alpha=0.5), "MobileNetV2's width multiplier"),
        ("keras_mobilenet_v2", dict(alpha=0.6, weights="imagenet"), r"alpha in \(0.35.*Received: alpha=0.6"),
        ("keras_mobilenet_v2", dict(alpha=0), "alpha must be a positive number"),
        ("keras_efficientnet_b0", dict(include_preprocessing=False), "always scales its own input"),
        ("keras_resnet50", dict(application="VGG16"), "Received: application='VGG16'"),
    ],
)
def test_bad_input_is_refused_before_building(name, kwargs, message, keras_home, monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # a download attempt would fail differently
    with pytest.raises(ValueError, match=message):
        zoo.create_model(name, **kwargs)


def test_grayscale_without_imagenet_weights_builds():
    model = zoo.create_model("keras_mobilenet_v2", num_classes=2, input_shape=(32, 32, 1), alpha=0.35)
    assert np.all(np.isfinite(model(pixels((32, 32, 1)))))
    model = zoo.create_model("keras_resnet50", num_classes=2, input_shape=(32, 32, 1), include_preprocessing=False)
    assert model.input_shape == (None, 32, 32, 1)


# ## ImageNet weights through keras.utils.get_file, from a local server


@pytest.fixture
def mobilenet_files(server, monkeypatch):
    """MobileNetV2 (alpha 0.35) ImageNet files, top and notop, served; keras.applications points at the server."""
    import keras
    from keras.applications import mobilenet_v2 as mobilenet_v2_api
    from keras.src.applications import mobilenet_v2

    top = keras.applications.MobileNetV2(alpha=0.35, weights=None, input_shape=SMALL)
    perturb(top, mobilenet_v2_api.preprocess_input(pixels(SMALL, batch=8, seed=1)))
    notop = keras.applications.MobileNetV2(alpha=0.35, weights=None, include_top=False, input_shape=SMALL)
    for layer in notop.layers:
        if layer.weights:
            layer.set_weights(top.get_layer(layer.name).get_weights())
    save_legacy_weights(top, server.folder / MOBILENET_TOP)
    save_legacy_weights(notop, server.folder / MOBILENET_NOTOP)
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", server.url)
    return top, notop


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_imagenet_backbone_downloads_over_http_and_keeps_a_new_head(mobilenet_files, server, keras_home):
    _, notop = mobilenet_files
    model = zoo.create_model("keras_mobilenet_v2", weights="imagenet", alpha=0.35, num_classes=5, input_shape=SMALL)
    assert server.requests == [f"/{MOBILENET_NOTOP}"]
    cached = keras_home / "models" / MOBILENET_NOTOP
    assert cached.read_bytes() == (server.folder / MOBILENET_NOTOP).read_bytes()
    assert_layers_hold(model, notop)
    assert model.get_layer("head").kernel.shape == (1280, 5)

    zoo.create_model("keras_mobilenet_v2", weights="imagenet", alpha=0.35, num_classes=5, input_shape=SMALL)
    assert len(server.requests) == 1  # the second build reads Keras's cache


def test_imagenet_classifier_equals_keras_applications_top(mobilenet_files, server, keras_home, monkeypatch):
    import keras
    from keras.applications import mobilenet_v2

    top, _ = mobilenet_files
    model = zoo.create_model(
        "keras_mobilenet_v2", weights="imagenet", alpha=0.35, input_shape=SMALL, classifier_activation=None
    )
    assert server.requests == [f"/{MOBILENET_TOP}"]
    path = keras_home / "models" / MOBILENET_TOP
    assert path.is_file()
    assert_layers_hold(model, keras.Model(top.input, top.get_layer("out_relu").output))
    for got, want in zip(model.get_layer("head").get_weights(), top.get_layer("predictions").get_weights()):
        np.testing.assert_array_equal(got, want)

    reference = keras.applications.MobileNetV2(
        alpha=0.35, weights=str(path), input_shape=SMALL, classifier_activation=None
    )
    x = pixels(SMALL)  # ours takes raw pixels; keras.applications takes preprocess_input's
    assert_same_logits(model(x), reference(mobilenet_v2.preprocess_input(x.copy())))

    monkeypatch.setenv("ZOO_OFFLINE", "1")  # offline, from the cache
    again = zoo.create_model("keras_mobilenet_v2", weights="imagenet", alpha=0.35, input_shape=SMALL)
    assert len(server.requests) == 1
    assert again.get_layer("head").units == 1000


def test_resnet50_imagenet_classifier_with_keras_hash(server, keras_home, monkeypatch):
    import keras
    from keras.applications import resnet as resnet_api
    from keras.src.applications import resnet

    top = keras.applications.ResNet50(weights=None, input_shape=SMALL, classifier_activation=None)
    perturb(top, resnet_api.preprocess_input(pixels(SMALL, batch=8, seed=1)))
    served = save_legacy_weights(top, server.folder / RESNET_TOP)
    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", server.url)
    monkeypatch.setitem(resnet.WEIGHTS_HASHES, "resnet50", (sha256(served), resnet.WEIGHTS_HASHES["resnet50"][1]))

    model = zoo.create_model("keras_resnet50", weights="imagenet", input_shape=SMALL, classifier_activation=None)
    assert server.requests == [f"/{RESNET_TOP}"]
    assert (keras_home / "models" / RESNET_TOP).is_file()
    x = pixels(SMALL)  # RGB pixels; keras' preprocess_input flips them to BGR and subtracts the mean
    assert_same_logits(model(x), top(resnet_api.preprocess_input(x.copy())))


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_efficientnet_b0_equals_keras_applications_imagenet(server, keras_home, monkeypatch, tmp_path):
    import keras
    from keras.src.applications import efficientnet

    # keras.applications' own weights="imagenet" path (224x224 only) is the reference: it adds a
    # rescaling by 1/sqrt(stddev) that our model folds into the normalization's variance.
    # Statistics of the inputs that the ImageNet layout's extra rescaling gives the first layers.
    scale = 1 / np.sqrt(efficientnet.IMAGENET_STDDEV_RGB)
    top = perturb(keras.applications.EfficientNetB0(weights=None), pixels((224, 224, 3), batch=4, seed=1) * scale)
    served = save_legacy_weights(top, server.folder / "efficientnetb0.h5")
    monkeypatch.setattr(efficientnet, "BASE_WEIGHTS_PATH", server.url)
    monkeypatch.setitem(efficientnet.WEIGHTS_HASHES, "b0", (sha256(served), efficientnet.WEIGHTS_HASHES["b0"][1]))

    model = zoo.create_model("keras_efficientnet_b0", weights="imagenet", classifier_activation=None)
    reference = keras.applications.EfficientNetB0(weights="imagenet", classifier_activation=None)
    assert server.requests == ["/efficientnetb0.h5"]  # keras.applications found our download in its cache
    x = pixels((224, 224, 3))
    logits = np.asarray(model(x))
    assert_same_logits(logits, reference(x))
    model.save(tmp_path / "model.keras")  # the folded variance is a weight: it is saved with the model
    np.testing.assert_allclose(zoo.load_model(tmp_path / "model.keras")(x), logits, rtol=1e-5, atol=1e-6)


def test_corrupted_download_is_refused_and_deleted(server, keras_home, monkeypatch):
    from keras.src.applications import efficientnet

    (server.folder / "efficientnetb0_notop.h5").write_bytes(b"not the published weights" * 1000)
    monkeypatch.setattr(efficientnet, "BASE_WEIGHTS_PATH", server.url)  # keras' real hash stays
    with pytest.raises(ChecksumError, match=r"efficientnetb0_notop.h5 downloaded from .* does not match") as info:
        zoo.create_model("keras_efficientnet_b0", weights="imagenet", num_classes=5, input_shape=SMALL)
    assert efficientnet.WEIGHTS_HASHES["b0"][1] in str(info.value)
    assert server.requests == ["/efficientnetb0_notop.h5"]
    assert list((keras_home / "models").iterdir()) == []


def test_offline_with_an_empty_cache_names_the_missing_file(server, keras_home, monkeypatch):
    from keras.src.applications import resnet

    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", server.url)
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(OfflineError) as info:
        zoo.create_model("keras_resnet50", weights="imagenet", num_classes=5, input_shape=SMALL)
    message = str(info.value)
    assert RESNET_NOTOP in message
    assert str(keras_home / "models") in message
    assert f"{server.url}{RESNET_NOTOP}" in message
    assert server.requests == []


def test_pretrained_imagenet_tag_builds_with_imagenet_weights(mobilenet_files, server, keras_home):
    _, notop = mobilenet_files
    model = zoo.create_model("keras_mobilenet_v2", pretrained="imagenet", alpha=0.35, num_classes=5, input_shape=SMALL)
    assert server.requests == [f"/{MOBILENET_NOTOP}"]
    assert_layers_hold(model, notop)
    assert model.get_layer("head").units == 5
