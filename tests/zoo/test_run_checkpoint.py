"""`zoo.checkpoint_from_run`: a finished `zoo train` run's network as a checkpoint (issue 26)."""

import json

import numpy as np
import pytest

import keras_zoo as zoo
from keras_zoo import checkpoints


def _fake_run(folder, seed=0):
    """A run folder as `zoo train` leaves it: the network behind an input layer, and its record."""
    import keras

    keras.utils.set_random_seed(seed)
    net = zoo.create_model("cnn_small", num_classes=3, input_shape=(8, 8, 1))
    inputs = keras.Input((8, 8, 1), name="image")
    keras.Model(inputs, net(keras.layers.RandomFlip("horizontal")(inputs))).save(folder / "model.keras")
    (folder / "metrics.json").write_text(json.dumps({
        "domain": "vision", "model": "cnn_small", "metrics": {"accuracy": 0.5},
        "data": {"source": "my_shapes", "classes": ["a", "b", "c"], "train": 30, "val": 6, "test": 6,
                 "image_shape": [8, 8, 1]},
        "config": {"model": "cnn_small"}, "run": {"command": "zoo train vision --data my_shapes"}}))
    return net


def test_a_run_becomes_a_checkpoint_once_and_again_when_its_model_changes(tmp_path):
    net = _fake_run(tmp_path)
    folder = zoo.checkpoint_from_run(tmp_path)
    assert folder == tmp_path / "cnn_small.run"
    card = json.loads((folder / "card.json").read_text())
    assert card["data"]["classes"] == ["a", "b", "c"] and card["input"] == {"image_size": [8, 8]}
    assert card["metrics"] == {"accuracy": 0.5} and card["recipe"] == "zoo train vision --data my_shapes"
    loaded = zoo.create_model("cnn_small", pretrained=str(tmp_path))  # the run folder itself
    for a, b in zip(loaded.weights, net.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    made = (folder / "model.weights.h5").stat().st_mtime_ns
    assert zoo.checkpoint_from_run(tmp_path) == folder and (folder / "model.weights.h5").stat().st_mtime_ns == made
    retrained = _fake_run(tmp_path, seed=1)  # the run trained again: the checkpoint follows it
    zoo.checkpoint_from_run(tmp_path)
    np.testing.assert_array_equal(zoo.create_model("cnn_small", pretrained=str(tmp_path)).weights[0].numpy(),
                                  retrained.weights[0].numpy())


def test_a_new_head_and_input_from_a_run(tmp_path):
    _fake_run(tmp_path)
    model = zoo.create_model("cnn_small", pretrained=str(tmp_path), num_classes=5, input_shape=(16, 16, 3))
    assert model.output_shape == (None, 5) and model.input_shape == (None, 16, 16, 3)


def test_a_folder_that_is_neither_a_run_nor_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "metrics.json").write_text("{}")  # a run that never saved its model
    with pytest.raises(checkpoints.CheckpointError, match="not a finished zoo train run"):
        zoo.checkpoint_from_run(tmp_path)
    with pytest.raises(checkpoints.CheckpointError, match="nor a finished zoo train run"):
        zoo.create_model("cnn_small", pretrained=str(tmp_path))


def test_save_checkpoint_takes_what_load_model_returns_for_a_run(tmp_path):
    """Issue 26: a run's model, loaded with `zoo.load_model`, saves as a checkpoint (its registry
    network, without the run's input layers), which loads and is re-measured like a shipped one."""
    from keras_zoo.applications import domains

    run = tmp_path / "run"
    run.mkdir()
    net = _fake_run(run)
    loaded = zoo.load_model(run / "model.keras")
    folder = zoo.save_checkpoint(loaded, tmp_path / "cnn_small.mine", card={
        "data": {"source": "my_shapes", "classes": ["a", "b", "c"]}, "metrics": {"accuracy": 0.5}})
    again = zoo.create_model("cnn_small", pretrained=str(folder))
    assert again.input_shape == (None, 8, 8, 1) and again.output_shape == (None, 3)
    for a, b in zip(again.weights, net.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    from PIL import Image

    shapes = tmp_path / "shapes"
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        (shapes / name).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(shapes / name / f"{i}.png")
    result = domains.get("vision").validate(str(folder), str(shapes), verbose=False)
    x = np.stack([np.asarray(Image.open(shapes / n / f"{i}.png"), "float32")[..., None] / 255.0
                  for n in ("a", "b", "c") for i in range(4)])
    expected = np.mean(np.argmax(again.predict(x, verbose=0), axis=-1) == np.repeat([0, 1, 2], 4))
    assert result["test"] == 12 and result["metrics"]["accuracy"] == pytest.approx(expected)
    assert result["card"] == {"accuracy": 0.5}
