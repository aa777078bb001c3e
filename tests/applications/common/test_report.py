"""keras_zoo.applications.common.report: output folders, metrics.json, history.csv."""

import csv
import json
import os
import re
import stat
import sys

import numpy as np
import pytest

from keras_zoo.applications.common.report import (
    OutputExistsError,
    OutputNotWritableError,
    discard_failed_run,
    is_interrupted,
    prepare_output_dir,
    read_metrics,
    write_history_csv,
    write_json,
    write_metrics,
)

DATA = {"source": "sample", "train": 100, "val": 20, "test": 30, "classes": ["cat", "dog"]}
TIMING = {"train_s": 1.5, "train_examples_per_s": 666.7}


def metrics_kwargs(**overrides):
    kwargs = dict(domain="vision", model="resnet20", pretrained=None, data=dict(DATA), metrics={"accuracy": 0.9},
                  baselines={"logistic_regression": {"accuracy": 0.8}}, timing=dict(TIMING))
    kwargs.update(overrides)
    return kwargs


def no_temp_files(folder):
    return [p.name for p in folder.rglob("*") if p.name.startswith(".") or p.suffix in (".tmp", ".part")] == []


# ---------------------------------------------------------------------------------------------
# prepare_output_dir


def test_default_folder_is_new_and_timestamped(tmp_path):
    first = prepare_output_dir(None, "speech", root=tmp_path / "runs")
    assert first.is_dir() and first.parent == tmp_path / "runs"
    assert re.fullmatch(r"speech-\d{8}-\d{6}", first.name)
    second = prepare_output_dir(None, "speech", root=tmp_path / "runs")  # same second: a suffix
    assert second != first and second.is_dir() and second.name.startswith("speech-")


def test_default_folder_takes_a_suffix_when_the_name_exists(tmp_path, monkeypatch):
    import keras_zoo.applications.common.report as report

    class Frozen(report.datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2025, 1, 2, 3, 4, 5)

    monkeypatch.setattr(report.datetime, "datetime", Frozen)
    names = [prepare_output_dir(None, "nlp", root=tmp_path).name for _ in range(3)]
    assert names == ["nlp-20250102-030405", "nlp-20250102-030405-2", "nlp-20250102-030405-3"]


def test_new_folder_is_created(tmp_path):
    path = prepare_output_dir(tmp_path / "a" / "b", "vision")
    assert path == tmp_path / "a" / "b" and path.is_dir()


def test_empty_folder_is_used(tmp_path):
    assert prepare_output_dir(str(tmp_path), "vision") == tmp_path


def test_a_file_is_refused(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        prepare_output_dir(path, "vision")


def test_a_finished_run_is_never_overwritten(tmp_path):
    (tmp_path / "metrics.json").write_text("{}")
    with pytest.raises(FileExistsError, match="never silently overwritten: choose another --output or delete it"):
        prepare_output_dir(tmp_path, "vision")
    with pytest.raises(ValueError):  # also a ValueError, so the CLI prints one line
        prepare_output_dir(tmp_path, "vision")


def test_an_interrupted_run_is_resumed(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "checkpoints").mkdir()
    assert prepare_output_dir(tmp_path, "vision") == tmp_path


def test_a_run_is_marked_incomplete_until_its_metrics_are_written(tmp_path):
    out = prepare_output_dir(tmp_path / "run", "vision")
    assert (out / "INCOMPLETE").is_file() and is_interrupted(out)
    (out / "history.csv").write_text("epoch\n1\n")  # killed after writing something, before any backup
    assert prepare_output_dir(out, "vision") == out  # the same command takes it up again
    write_metrics(out, **metrics_kwargs())
    assert not (out / "INCOMPLETE").exists() and not is_interrupted(out)
    with pytest.raises(OutputExistsError, match="finished run"):
        prepare_output_dir(out, "vision")


def test_folders_of_runs_are_not_marked(tmp_path):
    assert not (prepare_output_dir(tmp_path / "demo", "demo", run=False) / "INCOMPLETE").exists()


def test_a_failed_run_is_discarded_unless_an_epoch_completed(tmp_path):
    early = prepare_output_dir(tmp_path / "early", "vision")
    (early / "backup").mkdir()
    (early / "backup" / "progress.json").write_text("{}")
    assert discard_failed_run(early) and not early.exists()
    later = prepare_output_dir(tmp_path / "later", "finance")
    (later / "volatility" / "backup").mkdir(parents=True)  # a second model's training, one epoch done
    (later / "volatility" / "backup" / "training_metadata.json").write_text('{"epoch": 1}')
    assert not discard_failed_run(later) and is_interrupted(later)


def test_a_folder_with_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not empty and holds no interrupted run"):
        prepare_output_dir(tmp_path, "vision")


def test_a_folder_under_a_file_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputNotWritableError, match="Cannot create the output folder"):
        prepare_output_dir(tmp_path / "file" / "run", "vision")
    with pytest.raises(ValueError, match="file is a file, not a folder"):
        prepare_output_dir(None, "vision", root=tmp_path / "file")


def test_an_unwritable_folder_is_refused(tmp_path, monkeypatch):
    import keras_zoo.applications.common.report as report

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(report.tempfile, "TemporaryFile", denied)  # what a read-only folder does (for non-root)
    with pytest.raises(OutputNotWritableError, match="Cannot write to the output folder .*: Permission denied"):
        prepare_output_dir(tmp_path, "vision")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes to read-only folders anyway")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(PermissionError, match="Cannot write to the output folder"):
            prepare_output_dir(folder, "vision")
    finally:
        folder.chmod(stat.S_IRWXU)


# ---------------------------------------------------------------------------------------------
# metrics.json


def test_metrics_json_has_the_design_shape(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["zoo", "train", "vision", "--seed", "3"])
    path = write_metrics(tmp_path, **metrics_kwargs(), config={"epochs": 2, "seed": 3}, per_class={"cat": 0.9})
    assert path == tmp_path / "metrics.json"
    record = json.loads(path.read_text())
    assert list(record) == ["domain", "model", "pretrained", "data", "metrics", "baselines", "timing", "config",
                            "per_class", "run"]
    assert record["domain"] == "vision" and record["model"] == "resnet20" and record["pretrained"] is None
    assert record["data"] == DATA and record["timing"] == TIMING
    assert record["metrics"] == {"accuracy": 0.9} and record["baselines"] == {"logistic_regression": {"accuracy": 0.8}}
    run = record["run"]
    assert run["seed"] == 3 and run["command"] == "zoo train vision --seed 3"
    assert run["python"] == ".".join(map(str, sys.version_info[:3]))
    assert run["tensorflow"] and run["keras"] and run["zoo"] and re.match(r"\d{4}-\d\d-\d\dT", run["date"])
    assert read_metrics(tmp_path) == record
    assert no_temp_files(tmp_path)


def test_metrics_convert_numpy_values_and_paths(tmp_path):
    data = dict(DATA, train=np.int64(100), classes=np.array(["cat", "dog"]), source=tmp_path / "images")
    write_metrics(tmp_path, **metrics_kwargs(data=data, metrics={"accuracy": np.float32(0.5), "auc": np.float64("nan")},
                                             timing={"train_s": np.float64(2.0), "train_examples_per_s": 50.0}),
                  seed=np.int32(7), per_class={np.int64(3): np.arange(3)})
    record = read_metrics(tmp_path)
    assert record["data"]["train"] == 100 and record["data"]["classes"] == ["cat", "dog"]
    assert record["data"]["source"] == str(tmp_path / "images")
    assert record["metrics"] == {"accuracy": 0.5, "auc": None}  # NaN is not JSON: null
    assert record["per_class"] == {"3": [0, 1, 2]} and record["run"]["seed"] == 7
    assert "NaN" not in (tmp_path / "metrics.json").read_text()


def test_metrics_take_the_seed_from_a_config_dataclass(tmp_path):
    from dataclasses import dataclass

    @dataclass
    class Config:
        epochs: int = 2
        seed: int = 11

    write_metrics(tmp_path, **metrics_kwargs(), config=Config())
    record = read_metrics(tmp_path)
    assert record["config"] == {"epochs": 2, "seed": 11} and record["run"]["seed"] == 11


@pytest.mark.parametrize("field, key", [("data", "test"), ("data", "classes"), ("data", "source"),
                                        ("timing", "train_s"), ("timing", "train_examples_per_s")])
def test_metrics_require_their_keys(tmp_path, field, key):
    kwargs = metrics_kwargs()
    del kwargs[field][key]
    with pytest.raises(ValueError, match=f"`{field}` lacks {key}"):
        write_metrics(tmp_path, **kwargs)
    assert not (tmp_path / "metrics.json").exists()


def test_extra_keys_cannot_replace_core_keys(tmp_path):
    with pytest.raises(ValueError, match="core keys run"):
        write_metrics(tmp_path, **metrics_kwargs(), run={})


def test_read_metrics_of_an_unfinished_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="No metrics.json"):
        read_metrics(tmp_path)


def test_write_json_is_atomic_and_keeps_order(tmp_path, monkeypatch):
    path = write_json(tmp_path / "a.json", {"z": 1, "a": (1, 2)})
    assert path.read_text() == '{\n  "z": 1,\n  "a": [\n    1,\n    2\n  ]\n}\n'

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_json(path, {"new": True})
    assert json.loads(path.read_text()) == {"z": 1, "a": [1, 2]}  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]  # and no temp file is left


def test_write_json_rejects_what_it_cannot_write(tmp_path):
    with pytest.raises(TypeError, match="Cannot write a object"):
        write_json(tmp_path / "a.json", {"x": object()})
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# history.csv


def test_history_csv(tmp_path):
    history = {"loss": [0.9, np.float32(0.5)], "accuracy": [0.6, 0.8], "val_loss": [1.0, 0.7], "lr_note": [1.0]}
    path = write_history_csv(tmp_path, history)
    assert path == tmp_path / "history.csv"
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "lr_note"]
    assert rows[1] == ["1", "0.9", "0.6", "1.0", "1.0"]
    assert rows[2][0] == "2" and float(rows[2][1]) == pytest.approx(0.5) and rows[2][4] == ""
    assert len(rows) == 3 and no_temp_files(tmp_path)


def test_history_csv_rejects_an_empty_history(tmp_path):
    with pytest.raises(ValueError, match="history is empty"):
        write_history_csv(tmp_path, {})
