"""Files from elsewhere are data, never code: `.keras` files and checkpoint folders are checked, and refused clearly.

A `.keras` file is loaded in Keras' safe mode: a Python `Lambda` (marshalled bytecode) is refused
before it is deserialised, and a class that neither Keras nor the zoo defines is not imported. A
checkpoint folder's `config.json` must name a registry model and its real settings; its files
must not link outside the folder; its card may point at weights over http(s) only.
"""

import json
import os
import zipfile

import keras
import numpy as np
import pytest

import keras_zoo as zoo
from tests.cli_checks import run_zoo
from keras_zoo.checkpoints import CheckpointError


def _lambda_model_file(path, canary):
    # If this function were ever run while loading, the canary file would appear.
    touch = eval(f"lambda x: (open({str(canary)!r}, 'w').close(), x)[1]")  # the path inside the code: no closure
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(touch)])
    model.save(path)
    canary.unlink()  # building the model ran the function once, here
    return path


def test_a_keras_file_with_a_python_lambda_is_refused_and_never_run(tmp_path):
    path = _lambda_model_file(tmp_path / "lambda.keras", tmp_path / "canary")
    with pytest.raises(ValueError, match=r"Refused to load .*lambda\.keras.*Lambda"):
        zoo.load_model(path)
    assert not (tmp_path / "canary").exists()


def test_a_keras_file_naming_a_foreign_class_is_refused(tmp_path):
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(tmp_path / "dense.keras")
    with zipfile.ZipFile(tmp_path / "dense.keras") as z:
        files = {n: z.read(n) for n in z.namelist()}
    config = files["config.json"].decode()
    assert '"class_name": "Dense"' in config
    files["config.json"] = config.replace('"class_name": "Dense"', '"class_name": "system"').replace(
        '"module": "keras.layers"', '"module": "os"').encode()
    with zipfile.ZipFile(tmp_path / "evil.keras", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match="names a class that neither Keras nor the zoo defines") as err:
        zoo.load_model(tmp_path / "evil.keras")
    assert "\n" not in str(err.value)


def test_a_truncated_keras_file_is_refused_in_one_line(tmp_path):
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(tmp_path / "whole.keras")
    data = (tmp_path / "whole.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.keras is not a \.keras file"):
        zoo.load_model(tmp_path / "cut.keras")
    with pytest.raises(ValueError, match="No such model file"):
        zoo.load_model(tmp_path / "absent.keras")


def test_zoo_predict_refuses_a_run_whose_model_holds_code(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"domain": "nlp"}))
    _lambda_model_file(run / "model.keras", tmp_path / "canary")
    status, stderr = run_zoo(["predict", "nlp", "--model-dir", str(run), "a good film"], capsys)
    assert status == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "Refused to load" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "canary").exists()


@pytest.fixture
def checkpoint(tmp_path):
    model = zoo.create_model("mlp_small", num_classes=3, input_shape=(4,))
    return zoo.save_checkpoint(model, tmp_path / "mlp_small.mine")


def _edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("change,words", [
    (lambda c: c.update(model="no_such_model"), "Unknown model"),
    (lambda c: c["config"].update(evil_field=1), "evil_field"),
    (lambda c: c.update(input_shape="abc"), "input_shape"),
], ids=["unknown-model", "unknown-field", "bad-shape"])
def test_a_checkpoint_config_that_describes_no_zoo_model_is_refused(checkpoint, change, words):
    _edit_json(checkpoint / "config.json", change)
    with pytest.raises((CheckpointError, ValueError), match=words):
        zoo.create_model("mlp_small", pretrained=checkpoint)


def test_a_checkpoint_file_linking_outside_its_folder_is_refused(checkpoint, tmp_path):
    outside = tmp_path / "elsewhere.h5"
    os.replace(checkpoint / "model.weights.h5", outside)
    os.symlink(outside, checkpoint / "model.weights.h5")
    with pytest.raises(CheckpointError, match="links outside its checkpoint folder"):
        zoo.create_model("mlp_small", pretrained=checkpoint)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "../../secret.weights.h5", "/etc/passwd"])
def test_a_card_pointing_at_local_files_is_refused(checkpoint, url):
    (checkpoint / "model.weights.h5").unlink()
    _edit_json(checkpoint / "card.json", lambda c: c.update(weights_url=url))
    with pytest.raises(CheckpointError, match="only http\\(s\\) URLs are followed"):
        zoo.create_model("mlp_small", pretrained=checkpoint)


def test_a_training_backup_naming_weights_outside_its_folder_is_refused(tmp_path):
    from keras_zoo.applications.common.training import TrainConfig, fit

    backup = tmp_path / "run" / "backup"
    backup.mkdir(parents=True)
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": 1, "weights": "../../x.weights.h5"}))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, "int32")
    with pytest.raises(ValueError, match="names weights outside its folder"):
        fit(model, (x, y), None, TrainConfig(epochs=2, batch_size=4), tmp_path / "run",
            loss="sparse_categorical_crossentropy", metrics=[], n_train=8, verbose=0)
