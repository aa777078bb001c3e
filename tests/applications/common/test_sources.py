"""keras_zoo.applications.common.sources: each accepted form of a data source, and each mistake."""

import subprocess
import sys
from pathlib import Path

import pytest

from keras_zoo.applications.common.sources import ACCEPTED, Source, parse_source


def test_sample():
    assert parse_source("sample") == Source(kind="sample", text="sample")
    assert parse_source("  sample ").kind == "sample"


@pytest.mark.parametrize("text, name", [("tfds:mnist", "mnist"), ("tfds:cifar10/3.0.2", "cifar10/3.0.2"),
                                        ("tfds:glue/sst2", "glue/sst2"), ("tfds:imagenet_v2:0.1.0", "imagenet_v2:0.1.0")])
def test_tfds(text, name):
    source = parse_source(text)
    assert source == Source(kind="tfds", text=text, name=name)
    assert str(source) == text


def test_folder(tmp_path, monkeypatch):
    (tmp_path / "cats").mkdir()
    assert parse_source(str(tmp_path)) == Source(kind="folder", text=str(tmp_path), path=tmp_path.resolve())
    monkeypatch.chdir(tmp_path)
    source = parse_source("cats")
    assert source.kind == "folder" and source.path == (tmp_path / "cats").resolve() and source.text == "cats"


def test_sample_wins_over_a_folder_named_sample(tmp_path, monkeypatch):
    (tmp_path / "sample").mkdir()
    monkeypatch.chdir(tmp_path)
    assert parse_source("sample").kind == "sample"
    assert parse_source("./sample").kind == "folder"


@pytest.mark.parametrize("filename", ["prices.csv", "PRICES.CSV"])
def test_csv(tmp_path, filename):
    path = tmp_path / filename
    path.write_text("a,b\n1,2\n")
    assert parse_source(str(path)) == Source(kind="csv", text=str(path), path=path.resolve())


def test_home_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "data.csv").write_text("a\n1\n")
    assert parse_source("~/data.csv").path == (tmp_path / "data.csv").resolve()


def check_error(text, *fragments):
    with pytest.raises(ValueError) as info:
        parse_source(text)
    message = str(info.value)
    for fragment in (*fragments, f"Received: source={text!r}"):
        assert fragment in message, message
    return message


def test_empty():
    check_error("", "Empty data source", ACCEPTED)
    check_error("   ", "Empty data source")


def test_tfds_without_a_name():
    check_error("tfds:", "`tfds:` needs a dataset name", ACCEPTED)
    check_error("tfds: ", "needs a dataset name")


def test_tfds_with_a_malformed_name():
    check_error("tfds:mnist//x", "Not a TensorFlow Datasets name: 'mnist//x'")
    check_error("tfds:/mnist", "Not a TensorFlow Datasets name")


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.csv"
    check_error(str(missing), f"No such file or folder: {missing}", ACCEPTED)


def test_bare_name_hints_at_tfds():
    check_error("mnist", "No such file or folder: mnist (for a TensorFlow Datasets dataset write tfds:mnist)")


def test_file_that_is_not_csv(tmp_path):
    path = tmp_path / "images.zip"
    path.write_bytes(b"PK")
    check_error(str(path), f"{path} is a file but not a .csv file", ACCEPTED)


def test_not_a_string():
    with pytest.raises(ValueError, match="Received: source=None"):
        parse_source(None)


def test_sources_does_not_import_tensorflow():
    code = "import keras_zoo.applications.common.sources, keras_zoo.applications.common, sys; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[3]).stdout
    assert out.split() == ["False", "False"]
