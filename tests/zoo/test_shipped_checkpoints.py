"""Every checkpoint that ships: it loads by name, its hash matches, its card's metrics hold."""

import json
from pathlib import Path

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo import checkpoints

SHIPPED = sorted(p for p in checkpoints.shipped_dir().iterdir() if checkpoints.read(p) is not None)


def test_the_promised_checkpoints_ship():
    assert {p.name for p in SHIPPED} >= {"cnn_small.digits", "resnet20.digits", "resnet20.digits04",
                                         "ds_cnn_small.synthetic_commands", "ds_cnn_small.fsdd_digits",
                                         "resnet20.cifar10", "resnet20.cifar10_04", "cnn_text.sentence_polarity",
                                         "lstm_frames.index_volatility"}


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_card_is_complete_and_hash_matches(folder):
    card = json.loads((folder / "card.json").read_text())
    for key in ("sha256", "data", "licence", "recipe", "metrics", "date"):
        assert card.get(key), f"{folder.name}: card.json lacks {key}"
    assert card["recipe"] == f"python tools/train_pretrained.py {folder.name}"
    assert checkpoints.sha256_of(folder / "model.weights.h5") == card["sha256"]


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_metrics_re_measured_on_held_out_data_match_the_card(folder, monkeypatch):
    from keras_zoo.applications.vision.data import digits_splits

    monkeypatch.setenv("ZOO_OFFLINE", "1")  # shipped checkpoints never need the network
    card = json.loads((folder / "card.json").read_text())
    model = zoo.create_model(folder.name)  # by name: "<model>.<tag>"
    if "heard_accuracy" in card:  # real voices: held out one speaker at a time by the recipe itself
        return _re_measure_real_speech(model, card)
    if "test_voices" in card["data"]:  # speech: the shipped sample's voices the checkpoint never heard
        return _re_measure_speech(model, card)
    if ".cifar10" in folder.name:
        return _re_measure_cifar10(model, card)
    if "text" in card.get("input", {}):
        return _re_measure_text(model, card)
    if "target" in card:
        return _check_series(model, card)
    data = digits_splits(classes=tuple(int(c) for c in card["data"]["classes"]), seed=0)
    assert len(data.x_test) == card["data"]["test"]
    accuracy = float(np.mean(np.argmax(model.predict(data.x_test, verbose=0), axis=-1) == data.y_test))
    assert abs(accuracy - card["metrics"]["accuracy"]) <= 0.005
    assert accuracy > 0.9  # and they are good models: far above the 0.1 or 0.2 of chance


def _on_audio(net, card):
    """`net` behind the log-mel features its card records: 1 s of 16 kHz audio in."""
    import keras

    from keras_zoo.layers.audio import LogMelSpectrogram, UtteranceNormalization

    assert card["input"]["features"] == "log_mel"
    inputs = keras.Input((16000,))
    return keras.Model(inputs, net(UtteranceNormalization()(LogMelSpectrogram(num_mel_bins=40)(inputs))))


def _re_measure_speech(net, card):
    from keras_zoo.applications.speech.sample import load_sample

    sample = load_sample()
    keep = np.array([v.split("/")[0] in set(card["data"]["test_voices"]) for v in sample.voices])
    assert keep.sum() == card["data"]["test"] and list(sample.words) == card["data"]["classes"]
    probs = _on_audio(net, card).predict(sample.audio[keep], batch_size=256, verbose=0)
    accuracy = float(np.mean(np.argmax(probs, axis=-1) == sample.labels[keep]))
    assert abs(accuracy - card["metrics"]["accuracy"]) <= 0.005
    assert accuracy > 0.9  # chance is 0.05


def _re_measure_real_speech(net, card):
    """A checkpoint trained on every real speaker has no held-out clip left: its card's accuracy is the
    recipe's leave-one-speaker-out, checked for consistency here; what can be re-measured is its score
    on the shipped clips of the speakers it heard, which proves these are the weights the recipe made."""
    from keras_zoo.applications.speech.sample import REAL_PATH, load_sample

    metrics = card["metrics"]
    assert sorted(metrics["per_speaker"]) == card["data"]["speakers"] == ["george", "jackson", "lucas", "nicolas"]
    assert metrics["accuracy"] == pytest.approx(np.mean(list(metrics["per_speaker"].values())), abs=1e-4)
    assert metrics["worst_speaker_accuracy"] == min(metrics["per_speaker"].values())
    real = load_sample(REAL_PATH)
    assert real.words[:2] == ("zero", "one") and len(real.words) == 10  # word i is the folders' class "i"
    truth = np.array([card["data"]["classes"].index(str(label)) for label in real.labels])
    probs = _on_audio(net, card).predict(real.audio, batch_size=256, verbose=0)
    accuracy = float(np.mean(np.argmax(probs, axis=-1) == truth))
    assert abs(accuracy - card["heard_accuracy"]["accuracy"]) <= 0.005


def _re_measure_cifar10(net, card):
    """CIFAR-10's test photographs do not ship (their README); where ../shared/data holds them, the
    whole test split is scored again, decoded and scaled as the card says."""
    import sys

    root = Path(__file__).resolve().parents[2]  # the repository, beside ../shared
    archive = root.parent / "shared" / "data" / "cifar10" / "cifar10-jpg.tar.gz"
    if not archive.exists():
        pytest.skip(f"{archive} is not on this machine")
    sys.path.insert(0, str(root))
    from tools.train_pretrained import read_cifar10

    x, y, names = read_cifar10(archive, "test", tuple(card["data"]["classes"]))
    assert names == card["data"]["classes"] and len(y) == card["data"]["test"]
    assert card["input"]["image_size"] == [32, 32] and card["input"]["scale"].startswith("pixels / 255")
    accuracy = float(np.mean(np.argmax(net.predict(x / 255.0, batch_size=500, verbose=0), axis=-1) == y))
    assert abs(accuracy - card["metrics"]["accuracy"]) <= 0.005
    assert accuracy > 0.8  # a good CIFAR-10 network, far above the 0.1 of chance


def _re_measure_text(net, card):
    """The card's vocabulary reads text as in training: where tools/nlp_data.py has written the test
    sentences (data/sentence_polarity), they are scored again; everywhere, plain sentences are judged right."""
    from keras_zoo.applications.nlp import data as text_data
    from keras_zoo.applications.nlp.pipeline import end_to_end

    import tensorflow as tf

    model = end_to_end(checkpoints.text_vectorizer(card), net, "checkpoint")
    assert card["data"]["classes"] == ["negative", "positive"] and len(card["input"]["text"]["vocabulary"]) == 9998
    plain = ["a wonderful , moving and beautifully acted film", "one of the best films of the year",
             "a dull , tedious and boring mess", "the worst movie i have seen , badly written"]
    assert np.argmax(model.predict(tf.constant(plain), verbose=0), axis=-1).tolist() == [1, 1, 0, 0]
    test = Path(__file__).resolve().parents[2] / "data" / "sentence_polarity" / "test.csv"
    if test.exists():
        texts, labels, _ = text_data.read_examples(test, tuple(card["data"]["classes"]))
        accuracy = float(np.mean(np.argmax(model.predict(tf.constant([str(t) for t in texts]), verbose=0), axis=-1) == labels))
        assert len(labels) == card["data"]["test"] and abs(accuracy - card["metrics"]["accuracy"]) <= 0.005


def _check_series(net, card):
    """A finance checkpoint's card says what it reads and forecasts, and beat every baseline on its test
    years; it forecasts for a calm and a stormy window alike (the prices themselves do not ship)."""
    assert card["target"] == "volatility" and card["input"]["window"] == net.input_shape[1] == 32
    assert card["input"]["features"] == ["log_return", "volatility_5", "volatility_22", "range", "volume_change"]
    assert card["metrics"]["qlike"] < min(b["qlike"] for b in card["baselines"].values())  # as measured, once
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(2, 32, 5)).astype("float32") * np.array([0.5, 3.0], "float32")[:, None, None]
    ratios = net.predict(windows, verbose=0)
    assert ratios.shape == (2, 1) and np.all(np.isfinite(ratios))


def test_a_flipped_byte_in_a_shipped_checkpoint_stops_loading(tmp_path, monkeypatch):
    import shutil

    shipped = tmp_path / "pretrained"
    folder = shutil.copytree(checkpoints.shipped_dir() / "cnn_small.digits", shipped / "cnn_small.digits")
    data = bytearray((folder / "model.weights.h5").read_bytes())
    data[-100] ^= 0x01
    (folder / "model.weights.h5").write_bytes(bytes(data))
    monkeypatch.setattr(checkpoints, "shipped_dir", lambda: shipped)
    expected = json.loads((folder / "card.json").read_text())["sha256"]
    with pytest.raises(checkpoints.ChecksumError) as info:
        zoo.create_model("cnn_small.digits")
    assert str(folder / "model.weights.h5") in str(info.value)
    assert f"expected {expected}, actual {checkpoints.sha256_of(folder / 'model.weights.h5')}" in str(info.value)
