"""Every checkpoint that ships: it loads by name, its hash matches, its card's metrics hold."""

import json

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo import checkpoints

SHIPPED = sorted(p for p in checkpoints.shipped_dir().iterdir() if checkpoints.read(p) is not None)


def test_the_promised_checkpoints_ship():
    assert {p.name for p in SHIPPED} >= {"cnn_small.digits", "resnet20.digits", "resnet20.digits04",
                                         "ds_cnn_small.synthetic_commands"}


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
    if "test_voices" in card["data"]:  # speech: the shipped sample's voices the checkpoint never heard
        return _re_measure_speech(model, card)
    data = digits_splits(classes=tuple(int(c) for c in card["data"]["classes"]), seed=0)
    assert len(data.x_test) == card["data"]["test"]
    accuracy = float(np.mean(np.argmax(model.predict(data.x_test, verbose=0), axis=-1) == data.y_test))
    assert abs(accuracy - card["metrics"]["accuracy"]) <= 0.005
    assert accuracy > 0.9  # and they are good models: far above the 0.1 or 0.2 of chance


def _re_measure_speech(net, card):
    import keras

    from keras_zoo.applications.speech.sample import load_sample
    from keras_zoo.layers.audio import LogMelSpectrogram, UtteranceNormalization

    assert card["input"]["features"] == "log_mel"
    sample = load_sample()
    keep = np.array([v.split("/")[0] in set(card["data"]["test_voices"]) for v in sample.voices])
    assert keep.sum() == card["data"]["test"] and list(sample.words) == card["data"]["classes"]
    inputs = keras.Input((16000,))
    model = keras.Model(inputs, net(UtteranceNormalization()(LogMelSpectrogram(num_mel_bins=40)(inputs))))
    probs = model.predict(sample.audio[keep], batch_size=256, verbose=0)
    accuracy = float(np.mean(np.argmax(probs, axis=-1) == sample.labels[keep]))
    assert abs(accuracy - card["metrics"]["accuracy"]) <= 0.005
    assert accuracy > 0.9  # chance is 0.05


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
