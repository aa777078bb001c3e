"""`zoo export`: each domain's finished run as a SavedModel, a TFLite file and a .keras copy, checked for parity.

The runs are tiny models built as each domain's pipeline builds them (a raw-input model around a
registry network), saved the way a finished run is saved (`model.keras` + `metrics.json`), never trained.
"""

import argparse
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications import cli, export
from keras_zoo.applications.common.report import write_metrics
from keras_zoo.applications.common.runs import save_model

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

PARITY = re.compile(r"^parity: 8 inputs, max \|difference\| \S+ \(tolerance \S+\): ok$", re.M)


def _finish(model, folder: Path, domain: str, name: str) -> Path:
    folder.mkdir(parents=True)
    save_model(model, folder)
    write_metrics(folder, domain=domain, model=name, pretrained=None,
                  data={"source": "test", "train": 8, "val": 2, "test": 2, "classes": []},
                  metrics={}, baselines={}, timing={"train_s": 0.0, "train_examples_per_s": 0.0})
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`{name: folder}` of tiny finished runs, one model of each domain (two of finance)."""
    import keras

    import keras_zoo as zoo
    from keras_zoo.applications.common.training import TrainConfig, make_optimizer
    from keras_zoo.applications.finance import pipeline as finance
    from keras_zoo.applications.nlp.pipeline import end_to_end, make_vectorizer, term_weights
    from keras_zoo.applications.speech.pipeline import SpeechConfig
    from keras_zoo.applications.speech.pipeline import build_model as speech_model
    from keras_zoo.applications.vision.pipeline import VisionConfig
    from keras_zoo.applications.vision.pipeline import build_model as vision_model

    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("export-runs")
    found = {}
    model, _ = vision_model(VisionConfig(model="cnn_small", augment="none"), (8, 8, 1), 3)
    found["vision"] = _finish(model, root / "vision", "vision", "cnn_small")

    # NLP's default model: raw strings -> TextVectorization (bag of 1- and 2-grams) -> term weights -> MLP.
    texts = ["a good film", "not a good film", "bad movie really bad", "great fun", "boring and long", "loved it"]
    vectorizer, _ = make_vectorizer(texts, max_tokens=64, sequence_length=None, bag_of_ngrams=True)
    net = zoo.create_model("mlp_text", input_shape=(vectorizer.vocabulary_size(),), num_classes=2, hidden_units=(8,))
    weights = term_weights(vectorizer, texts, [1, 0, 0, 1, 0, 1], 2)
    found["nlp"] = _finish(end_to_end(vectorizer, net, "mlp_text", weights=weights), root / "nlp", "nlp", "mlp_text")

    # Speech: raw audio (16000,) -> log-mel -> utterance normalisation -> DS-CNN, as the pipeline saves it.
    model, _ = speech_model(SpeechConfig(model="ds_cnn_small", overrides=dict(filters=4, blocks=1)), 3)
    found["speech"] = _finish(model, root / "speech", "speech", "ds_cnn_small")

    model = zoo.create_model("mf", num_users=11, num_items=13, embedding_dim=4)
    found["recommendation"] = _finish(model, root / "recommendation", "recommendation", "mf")

    # Finance: (window 8, 5 features); saved compiled with its QLIKE loss and a warm-up schedule, as a trained run is.
    rng = np.random.default_rng(0)
    for name, overrides in (("lstm_frames", dict(units=(4,))), ("mlp_small", dict(hidden_units=(8,)))):
        model = zoo.create_model(name, input_shape=(8, 5), num_classes=1, classifier_activation=None, **overrides)
        model.compile(optimizer=make_optimizer(TrainConfig(epochs=2, schedule="step", warmup_epochs=1), 1),
                      loss=finance.qlike_of_log_ratio)
        model.fit(rng.standard_normal((4, 8, 5)).astype("float32"), np.ones((4, 1), "float32"), verbose=0)
        found[f"finance_{name}"] = _finish(model, root / f"finance_{name}", "finance", name)
    return found


@pytest.fixture
def run(runs, tmp_path):
    """A fresh copy of a run (so each test starts without an export/ folder)."""
    return lambda name: Path(shutil.copytree(runs[name], tmp_path / name))


def _args(*argv):
    parser = argparse.ArgumentParser(prog="zoo")
    sub = parser.add_subparsers(dest="command", required=True)
    export.add_parser(sub)
    return parser.parse_args(["export", *argv])


def _export(folder: Path, fmt: str, *more: str) -> int:
    return export.cmd_export(_args("--model-dir", str(folder), "--format", fmt, *more))


def _parity(folder: Path) -> dict:
    return json.loads((folder / "export" / "parity.json").read_text())


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".tmp" in p.name or p.name.endswith(".old")]


# ---------------------------------------------------------------------------------------------
# Every domain, SavedModel and .keras


DOMAINS = ["vision", "nlp", "speech", "recommendation", "finance_lstm_frames", "finance_mlp_small"]


@pytest.mark.parametrize("name", DOMAINS)
def test_every_domain_exports_as_a_saved_model_that_serves_what_the_run_computes(name, run, capsys):
    import tensorflow as tf

    folder = run(name)
    assert _export(folder, "saved_model") == 0
    out = folder / "export" / "saved_model"
    assert (out / "saved_model.pb").is_file()
    printed = capsys.readouterr().out
    assert PARITY.search(printed), printed
    record = _parity(folder)["saved_model"]
    assert record["ok"] and record["max_abs_difference"] <= 1e-5 and record["tolerance"] == 1e-5
    assert record["signature"] == "serve" and record["output"] == str(out) and record["inputs"] == 8
    # The served signature takes the raw input, as the run's model does.
    model = export._load_model(folder, record["domain"])
    x = export.sample_inputs(model, record["domain"], n=3, seed=5)
    loaded = tf.saved_model.load(str(out))  # kept: a SavedModel's functions need its object alive
    np.testing.assert_allclose(np.asarray(loaded.serve(tf.convert_to_tensor(x))), np.asarray(model(x)), atol=1e-5)
    assert not _leftovers(folder)


@pytest.mark.parametrize("name", DOMAINS)
def test_every_domain_exports_a_keras_copy(name, run, capsys):
    folder = run(name)
    assert _export(folder, "keras") == 0
    out = folder / "export" / "model.keras"
    assert out.read_bytes() == (folder / "model.keras").read_bytes()
    assert PARITY.search(capsys.readouterr().out)
    assert _parity(folder)["keras"]["max_abs_difference"] == 0.0
    assert not _leftovers(folder)


# ---------------------------------------------------------------------------------------------
# TFLite


@pytest.mark.parametrize("name", ["vision", "speech", "recommendation", "finance_lstm_frames", "finance_mlp_small"])
def test_tflite_converts_with_built_in_ops_and_matches(name, run, capsys):
    import tensorflow as tf

    folder = run(name)
    assert _export(folder, "tflite") == 0
    out = folder / "export" / "model.tflite"
    printed = capsys.readouterr().out
    assert PARITY.search(printed), printed
    record = _parity(folder)["tflite"]
    assert record["ok"] and record["max_abs_difference"] <= record["tolerance"] and record["tolerance"] >= 1e-3
    assert record["ops"] == "TFLite built-ins only"
    if name == "finance_lstm_frames":  # the LSTM's loop over time, unrolled
        assert "unrolled" in record["note"] and "unrolled" in printed
    with warnings.catch_warnings():  # tf.lite.Interpreter's deprecation notice
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(out))  # no Flex delegate needed
    assert interpreter.get_input_details()[0]["shape_signature"][0] == -1  # any batch


def test_a_model_of_raw_strings_is_not_converted_to_tflite_and_nothing_is_written(run):
    folder = run("nlp")
    with pytest.raises(ValueError, match="takes raw strings cannot be converted to TFLite without Select TF ops") as err:
        _export(folder, "tflite")
    assert "saved_model" in str(err.value) and "\n" not in str(err.value)
    assert not (folder / "export").exists()


def test_unsupported_ops_are_named_from_the_converters_message():
    message = ("loc(...): error: 'tf.StringNGrams' op is neither a custom op nor a flex op\n"
               "error: failed while converting: 'main'\nCustom ops: StringNGrams, RegexReplace\n")
    assert export._unsupported_ops(message) == ["RegexReplace", "StringNGrams"]


# ---------------------------------------------------------------------------------------------
# Outputs: where, replacing, never partial


def test_output_elsewhere_and_the_parity_record_keeps_one_entry_per_format(run, tmp_path, capsys):
    folder = run("recommendation")
    elsewhere = tmp_path / "deploy" / "rec.tflite"
    assert _export(folder, "tflite", "--output", str(elsewhere)) == 0
    assert _export(folder, "keras") == 0
    assert elsewhere.is_file() and not (folder / "export" / "model.tflite").exists()
    record = _parity(folder)
    assert set(record) == {"tflite", "keras"} and record["tflite"]["output"] == str(elsewhere)
    assert record["keras"]["domain"] == "recommendation" and record["keras"]["model"] == "mf"
    assert record["keras"]["input"] == {"shape": [None, 2], "dtype": "int32"}


def test_an_existing_output_is_refused_without_overwrite_and_replaced_with_it(run):
    folder = run("finance_mlp_small")
    assert _export(folder, "saved_model") == 0
    out = folder / "export" / "saved_model"
    (out / "marker").write_text("the previous export")
    with pytest.raises(ValueError, match=r"already exists; .*--overwrite") as err:
        _export(folder, "saved_model")
    assert "\n" not in str(err.value) and (out / "marker").is_file()  # untouched
    assert _export(folder, "saved_model", "--overwrite") == 0
    assert (out / "saved_model.pb").is_file() and not (out / "marker").exists()  # replaced whole
    assert not _leftovers(folder)

    keras_file = folder / "export" / "model.keras"
    keras_file.write_text("not a model")
    with pytest.raises(ValueError, match="already exists"):
        _export(folder, "keras")
    assert keras_file.read_text() == "not a model"
    assert _export(folder, "keras", "--overwrite") == 0
    assert keras_file.read_bytes() == (folder / "model.keras").read_bytes()


def test_overwrite_never_replaces_a_folder_that_is_not_a_previous_export(run, tmp_path):
    folder = run("finance_mlp_small")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a SavedModel folder"):
        _export(folder, "saved_model", "--output", str(precious), "--overwrite")
    with pytest.raises(ValueError, match="is a folder"):
        _export(folder, "tflite", "--output", str(precious), "--overwrite")
    with pytest.raises(ValueError, match=r"ends in \.keras"):
        _export(folder, "keras", "--output", str(tmp_path / "model.h5"))
    assert (precious / "notes.txt").read_text() == "keep me" and not (folder / "export").exists()


def test_a_parity_failure_is_an_error_and_leaves_nothing(run, monkeypatch):
    folder = run("vision")
    original = export._run_saved_model
    monkeypatch.setattr(export, "_run_saved_model", lambda path, x: [o + 1e-3 for o in original(path, x)])
    with pytest.raises(ValueError, match=r"does not match the original model: parity: 8 inputs, max \|difference\| "
                                         r"0\.001 \(tolerance 1e-05\): FAILED"):
        _export(folder, "saved_model")
    assert not (folder / "export").exists()  # no export, no parity.json, no temporary folder


# ---------------------------------------------------------------------------------------------
# Bad input


def test_a_folder_that_is_not_a_finished_run_is_refused(run, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"is not a finished run: it lacks model\.keras and metrics\.json"):
        _export(empty, "keras")
    with pytest.raises(ValueError, match="is not a folder"):
        _export(tmp_path / "missing", "keras")
    folder = run("vision")
    (folder / "metrics.json").unlink()
    with pytest.raises(ValueError, match=r"lacks metrics\.json"):
        _export(folder, "saved_model")
    other = run("recommendation")
    (other / "metrics.json").write_text(json.dumps({"domain": "astronomy"}))
    with pytest.raises(ValueError, match="names no domain the zoo has") as err:
        _export(other, "keras")
    assert "\n" not in str(err.value)
    for place in (empty, folder, other):
        assert not (place / "export").exists()


def test_an_unknown_format_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_:
        _args("--model-dir", "x", "--format", "onnx")
    assert exit_.value.code == 2 and "invalid choice: 'onnx'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="Unknown export format"):
        export.export_run("x", "onnx")


def test_the_zoo_command_reports_a_mistake_in_one_line(run, capsys):
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    if "export" not in commands:
        pytest.skip("`zoo export` is not wired into applications/cli.py yet")
    folder = run("vision")
    capsys.readouterr()
    assert cli.main(["export", "--model-dir", str(folder), "--format", "keras"]) == 0
    assert PARITY.search(capsys.readouterr().out)
    assert cli.main(["export", "--model-dir", str(folder), "--format", "keras"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo export: error: ") and "already exists" in err and err.count("\n") == 1
