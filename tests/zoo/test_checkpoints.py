"""Checkpoints: the format, resolution order, downloads from a real local server, integrity, offline."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import keras_zoo as zoo
from tests.http_server import serve
from keras_zoo import checkpoints
from keras_zoo.checkpoints import CheckpointError, ChecksumError, OfflineError

TINY = dict(num_classes=4, input_shape=(8, 8, 1), stage_blocks=(1, 1, 1))
X = np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")


@pytest.fixture(autouse=True)
def zoo_home(tmp_path, monkeypatch):
    home = tmp_path / "zoo_home"
    monkeypatch.setenv("ZOO_HOME", str(home))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    return home


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny resnet20 checkpoint, with weights that differ from a fresh model's."""
    import keras

    keras.utils.set_random_seed(1)
    model = zoo.create_model("resnet20", **TINY)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, np.array([0, 1, 2]), epochs=2, verbose=0)
    folder = tmp_path_factory.mktemp("served") / "resnet20.tiny"
    card = {"data": "random pixels", "licence": "CC0", "recipe": "pytest", "metrics": {"accuracy": 0.5}}
    zoo.save_checkpoint(model, folder, card=card)
    return model, folder


def predictions(model):
    return model.predict(X, verbose=0)


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


# -- the format ---------------------------------------------------------------------------------


def test_save_checkpoint_writes_the_three_files(trained):
    _, folder = trained
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "config.json", "model.weights.h5"]
    card = json.loads((folder / "card.json").read_text())
    assert card["sha256"] == checkpoints.sha256_of(folder / "model.weights.h5")
    assert card["metrics"] == {"accuracy": 0.5} and card["licence"] == "CC0" and card["date"]
    config = json.loads((folder / "config.json").read_text())
    assert config["model"] == "resnet20" and config["input_shape"] == [8, 8, 1] and config["num_classes"] == 4
    assert config["config"]["stage_blocks"] == [1, 1, 1]


def test_save_checkpoint_never_overwrites_silently(trained, tmp_path):
    model, folder = trained
    with pytest.raises(FileExistsError, match="overwrite=True"):
        zoo.save_checkpoint(model, folder)
    copy = tmp_path / "resnet20.copy"
    zoo.save_checkpoint(model, copy)
    zoo.save_checkpoint(model, copy, overwrite=True, card={"metrics": {"accuracy": 0.75}})
    assert json.loads((copy / "card.json").read_text())["metrics"] == {"accuracy": 0.75}
    assert [p.name for p in tmp_path.iterdir()] == ["resnet20.copy"]  # no temporary folders left


def test_save_checkpoint_needs_a_model_dot_tag_folder(trained, tmp_path):
    model, _ = trained
    with pytest.raises(ValueError, match=r"'resnet20\.<tag>'"):
        zoo.save_checkpoint(model, tmp_path / "my_checkpoint")
    import keras

    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="zoo.create_model"):
        zoo.save_checkpoint(plain, tmp_path / "x.y")


# -- resolution ---------------------------------------------------------------------------------


def test_load_from_a_local_folder(trained):
    model, folder = trained
    loaded = zoo.create_model("resnet20", pretrained=str(folder))
    np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)


def test_load_by_tag_from_the_user_cache(trained, zoo_home):
    model, folder = trained
    shutil.copytree(folder, zoo_home / folder.name)
    for loaded in (zoo.create_model("resnet20.tiny"), zoo.create_model("resnet20", pretrained="tiny"),
                   zoo.create_model("resnet20", pretrained="resnet20.tiny")):  # the whole name works too
        np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)
    assert "resnet20.tiny" in zoo.list_models(pretrained=True)
    assert {"name": "resnet20.tiny", "metrics": {"accuracy": 0.5}} in zoo.model_info("resnet20").checkpoints


def test_the_shipped_folder_comes_before_the_cache(trained, zoo_home, tmp_path, monkeypatch):
    model, folder = trained
    shipped = tmp_path / "shipped"
    shutil.copytree(folder, shipped / folder.name)
    (zoo_home / folder.name).mkdir(parents=True)  # a broken cache copy must not be used
    (zoo_home / folder.name / "card.json").write_text("{}")
    (zoo_home / folder.name / "config.json").write_text("{}")
    monkeypatch.setattr(checkpoints, "shipped_dir", lambda: shipped)
    assert checkpoints.resolve("resnet20", "tiny") == shipped / folder.name


def test_unknown_tag_lists_the_known_ones(trained, zoo_home):
    shutil.copytree(trained[1], zoo_home / "resnet20.tiny")
    with pytest.raises(CheckpointError, match="Known tags for resnet20: .*tiny"):
        zoo.create_model("resnet20", pretrained="imagenet21k")
    with pytest.raises(CheckpointError, match="No checkpoint folder"):
        zoo.create_model("resnet20", pretrained="./no/such/folder")


def test_a_checkpoint_of_another_model_is_refused(trained):
    with pytest.raises(CheckpointError, match="is a checkpoint of resnet20, not resnet32"):
        zoo.create_model("resnet32", pretrained=str(trained[1]))


def test_a_new_head_keeps_the_backbone(trained):
    model, folder = trained
    loaded = zoo.create_model("resnet20", pretrained=str(folder), num_classes=7)
    assert loaded.output_shape == (None, 7)
    assert loaded.zoo_spec.num_classes == 7
    original = {w.path: w.numpy() for w in model.weights if not w.path.startswith("head")}
    for w in loaded.weights:
        if not w.path.startswith("head"):
            np.testing.assert_array_equal(w.numpy(), original[w.path])


def test_another_input_size_reuses_convolutional_weights(trained):
    model, folder = trained
    loaded = zoo.create_model("resnet20", pretrained=str(folder), input_shape=(16, 16, 1))
    assert loaded.input_shape == (None, 16, 16, 1)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- integrity ----------------------------------------------------------------------------------


def test_a_flipped_byte_is_never_loaded(trained, tmp_path):
    folder = shutil.copytree(trained[1], tmp_path / "resnet20.tiny")
    expected = json.loads((folder / "card.json").read_text())["sha256"]
    flip_a_byte(folder / "model.weights.h5")
    actual = checkpoints.sha256_of(folder / "model.weights.h5")
    with pytest.raises(ChecksumError) as info:
        zoo.create_model("resnet20", pretrained=str(folder))
    message = str(info.value)
    assert str(folder / "model.weights.h5") in message and expected in message and actual in message
    assert (folder / "model.weights.h5").exists()  # the user's own folder is left as it is


def test_a_corrupt_cached_file_is_quarantined(trained, zoo_home):
    folder = shutil.copytree(trained[1], zoo_home / "resnet20.tiny")
    flip_a_byte(folder / "model.weights.h5")
    with pytest.raises(ChecksumError, match="moved to"):
        zoo.create_model("resnet20.tiny")
    assert not (folder / "model.weights.h5").exists()
    assert len(list(folder.glob("model.weights.h5.quarantined-*"))) == 1


def test_a_card_without_a_hash_is_refused(trained, tmp_path):
    folder = shutil.copytree(trained[1], tmp_path / "resnet20.tiny")
    card = json.loads((folder / "card.json").read_text())
    del card["sha256"]
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="no sha256"):
        zoo.create_model("resnet20", pretrained=str(folder))


# -- downloads ----------------------------------------------------------------------------------


def cache_files(zoo_home):
    return sorted(p.name for p in zoo_home.rglob("*") if p.is_file()) if zoo_home.exists() else []


def test_download_from_a_url_then_load_from_the_cache(trained, zoo_home):
    model, folder = trained
    with serve(folder.parent) as server:
        loaded = zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
        assert sorted(server.requests) == sorted(
            ["/resnet20.tiny/config.json", "/resnet20.tiny/card.json", "/resnet20.tiny/model.weights.h5"]
        )
        again = zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny/")
        assert len(server.requests) == 3  # the second load came from the cache
    np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)
    np.testing.assert_allclose(predictions(again), predictions(model), rtol=1e-6)
    assert cache_files(zoo_home) == ["card.json", "config.json", "model.weights.h5"]
    assert "resnet20.tiny" in zoo.list_models(pretrained=True)


def test_file_urls_work_too(trained, zoo_home):
    model, folder = trained
    loaded = zoo.create_model("resnet20", pretrained=folder.as_uri())
    np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)


def test_a_download_with_the_wrong_hash_saves_nothing(trained, tmp_path, zoo_home):
    served = shutil.copytree(trained[1], tmp_path / "served" / "resnet20.tiny")
    flip_a_byte(served / "model.weights.h5")
    with serve(served.parent) as server:
        with pytest.raises(ChecksumError, match="does not match: expected"):
            zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
    assert "model.weights.h5" not in cache_files(zoo_home)
    assert not [n for n in cache_files(zoo_home) if n.endswith(".part")]


def test_a_server_error_is_reported_and_saves_nothing(trained, zoo_home):
    with serve(trained[1].parent, fail=["/resnet20.tiny/model.weights.h5"]) as server:
        with pytest.raises(CheckpointError, match="Could not download .*model.weights.h5.*500"):
            zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
    assert "model.weights.h5" not in cache_files(zoo_home)


def test_a_connection_cut_mid_file_leaves_nothing_partial(trained, zoo_home):
    with serve(trained[1].parent, cut=["/resnet20.tiny/model.weights.h5"]) as server:
        with pytest.raises(CheckpointError, match="Could not download|cut short"):
            zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
    files = cache_files(zoo_home)
    assert "model.weights.h5" not in files and not [n for n in files if n.endswith(".part")]


def test_two_processes_downloading_at_once_end_with_one_good_copy(trained, zoo_home):
    folder = trained[1]
    expected = checkpoints.sha256_of(folder / "model.weights.h5")
    dest = zoo_home / "concurrent" / "model.weights.h5"
    code = (
        "import sys; from pathlib import Path; from keras_zoo import checkpoints; "
        "checkpoints.download(sys.argv[1], Path(sys.argv[2]), sha256=sys.argv[3], progress=False)"
    )
    with serve(folder.parent, delay=0.5) as server:
        url = f"{server.url}/resnet20.tiny/model.weights.h5"
        procs = [subprocess.Popen([sys.executable, "-c", code, url, str(dest), expected]) for _ in range(2)]
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
        assert len(server.requests) == 2  # both really downloaded, at the same time
    assert checkpoints.sha256_of(dest) == expected
    assert [p.name for p in dest.parent.iterdir()] == ["model.weights.h5"]


def test_offline_mode_opens_no_connection_and_names_the_file(trained, zoo_home, monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with serve(trained[1].parent) as server:
        with pytest.raises(OfflineError, match=r"ZOO_OFFLINE=1 and .*config.json is not on disk"):
            zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
        assert server.requests == []


def test_offline_mode_loads_what_is_on_disk(trained, zoo_home, monkeypatch):
    model, folder = trained
    with serve(folder.parent) as server:
        zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
        monkeypatch.setenv("ZOO_OFFLINE", "1")
        loaded = zoo.create_model("resnet20", pretrained=f"{server.url}/resnet20.tiny")
        assert len(server.requests) == 3
    np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)


def test_a_shipped_card_can_fetch_its_weights_into_the_cache(trained, tmp_path, zoo_home, monkeypatch):
    model, folder = trained
    shipped = tmp_path / "shipped"
    (shipped / folder.name).mkdir(parents=True)
    for name in ("config.json", "card.json"):
        shutil.copy(folder / name, shipped / folder.name / name)
    monkeypatch.setattr(checkpoints, "shipped_dir", lambda: shipped)
    with serve(folder.parent) as server:
        card = json.loads((folder / "card.json").read_text())
        card["weights_url"] = f"{server.url}/resnet20.tiny/model.weights.h5"
        (shipped / folder.name / "card.json").write_text(json.dumps(card))
        loaded = zoo.create_model("resnet20.tiny")
    np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)
    assert (zoo_home / "resnet20.tiny" / "model.weights.h5").is_file()
    assert not (shipped / folder.name / "model.weights.h5").exists()  # never written into the install


def test_another_size_and_channels_at_once(trained):
    folder = trained[1]
    grey = zoo.create_model("resnet20", pretrained=str(folder), input_shape=(16, 16, 1))
    rgb = zoo.create_model("resnet20", pretrained=str(folder), input_shape=(16, 16, 3))
    x = np.random.default_rng(2).random((2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(rgb.predict(np.repeat(x, 3, axis=-1), verbose=0), grey.predict(x, verbose=0), atol=1e-5)


def test_learned_positions_cannot_change_size():
    import keras_zoo.transfer

    vit = zoo.create_model("vit_tiny", input_shape=(32, 32, 3), dim=16, depth=1, heads=2, mlp_dim=16)
    with pytest.raises(ValueError, match="depend on the input size"):
        zoo.transfer.resize_input(vit, (64, 64, 3))
    with pytest.raises(ValueError, match="multiples of patch_size"):
        zoo.transfer.resize_input(vit, (40, 40, 3))


def test_a_replacement_killed_between_its_two_renames_leaves_the_old_checkpoint(tmp_path):
    # save_checkpoint(overwrite=True) moves the old folder aside, then renames the new one in; a
    # kill between the two leaves only the moved-aside folder, which the next reader puts back.
    model = zoo.create_model("mlp_small", num_classes=3, input_shape=(4,))
    folder = zoo.save_checkpoint(model, tmp_path / "mlp_small.old", card={"metrics": {"accuracy": 0.5}})
    os.replace(folder, tmp_path / ".mlp_small.old.old-1234abcd")
    loaded = zoo.create_model("mlp_small", pretrained=folder)
    assert folder.is_dir() and not (tmp_path / ".mlp_small.old.old-1234abcd").exists()
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
