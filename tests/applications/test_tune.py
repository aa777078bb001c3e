"""`zoo tune`: a Keras Tuner search on a domain's data, its best.json, its table, and bad input."""

import argparse
import json

import pytest

import keras_zoo as zoo
from keras_zoo.applications import tune

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

BEST_KEYS = {"domain", "model", "tuner", "objective", "trial_id", "hyperparameters", "overrides", "model_args",
             "learning_rate", "val_score", "test_score", "val_metrics", "test_metrics", "test_model", "search",
             "data", "trials", "run"}


def parse(*argv):
    parser = argparse.ArgumentParser(prog="zoo")
    sub = parser.add_subparsers(dest="command", required=True)
    tune.add_parser(sub)
    return parser.parse_args(["tune", *argv])


def read_best(folder):
    return json.loads((folder / "best.json").read_text())


def built_from(best):
    """The best configuration, read back from JSON, builds the model with `zoo.create_model`."""
    args = best["model_args"]
    return zoo.create_model(best["model"], num_classes=args["num_classes"], input_shape=tuple(args["input_shape"]),
                            **best["overrides"])


def test_vision_random_search_on_the_digits(tmp_path, capsys):
    out = tmp_path / "search"
    args = parse("vision", "--model", "cnn_small", "--max-trials", "2", "--epochs", "1", "--output", str(out))
    assert args.func is tune.cmd_tune and args.tuner == "random" and args.data == "sample"
    assert args.func(args) == 0

    best = read_best(out)
    assert BEST_KEYS <= set(best)
    assert (out / "tuner" / "oracle.json").is_file()  # Keras Tuner's folder, inside the output
    assert best["domain"] == "vision" and best["model"] == "cnn_small" and best["tuner"] == "random"
    assert best["objective"] == {"name": "val_accuracy", "direction": "max", "split": "validation"}
    assert len(best["trials"]) == 2
    scores = [t["score"] for t in best["trials"]]
    assert best["val_score"] == max(scores)
    assert best["hyperparameters"] == next(t for t in best["trials"] if t["trial_id"] == best["trial_id"])[
        "hyperparameters"]
    assert best["learning_rate"] == best["hyperparameters"]["learning_rate"]
    assert 1e-4 <= best["learning_rate"] <= 1e-2
    # The best model re-measured on the validation split gives the trial's score; the test split is scored once.
    assert best["val_metrics"]["accuracy"] == pytest.approx(best["val_score"], abs=1e-6)
    assert 0.0 <= best["test_score"] <= 1.0 and best["test_score"] == best["test_metrics"]["accuracy"]
    assert best["data"]["test"] == 360 and best["data"]["val"] == 288 and best["data"]["train"] == 1149
    assert "not retrained" in best["test_model"]
    assert best["model_args"] == {"num_classes": 10, "input_shape": [8, 8, 1]}
    assert set(best["overrides"]) == {"stage_widths", "convs_per_stage", "batch_norm", "dropout", "pooling"}
    assert best["overrides"]["stage_widths"][0] == best["hyperparameters"]["base_width"]
    net = built_from(best)
    assert net.input_shape == (None, 8, 8, 1) and net.output_shape == (None, 10)

    printed = capsys.readouterr().out
    table = printed[printed.index("trial "):]
    header = table.splitlines()[0].split()
    assert header[0] == "trial" and header[-1] == "val_accuracy" and "learning_rate" in header
    assert f"{best['trial_id']}*" in table  # the best trial is marked
    assert f"Best: trial {best['trial_id']}, val_accuracy" in printed
    assert str(out / "best.json") in printed

    # A second search never writes over the first.
    with pytest.raises(ValueError, match="not empty"):
        tune.search("vision", "cnn_small", max_trials=1, epochs=1, output=out, verbose=False)
    assert read_best(out) == best


def test_finance_search_on_return_windows(tmp_path, capsys):
    out = tmp_path / "finance"
    args = parse("finance", "--model", "mlp_small", "--max-trials", "2", "--epochs", "1", "--window", "8",
                 "--output", str(out), "--seed", "1")
    assert args.func(args) == 0
    best = read_best(out)
    assert BEST_KEYS | {"anchor"} <= set(best)
    assert best["objective"]["name"] == "val_loss" and best["objective"]["direction"] == "min"
    assert best["val_score"] == min(t["score"] for t in best["trials"])
    assert best["data"]["target"] == "return" and best["data"]["window"] == 8
    assert best["data"]["test_start"] > best["data"]["val_start"]  # split by date, test last
    assert best["test_score"] == best["test_metrics"]["loss"]
    assert best["test_metrics"]["rmse"] > 0 and 0 <= best["test_metrics"]["directional_accuracy"] <= 1
    assert best["anchor"]["name"].startswith("a zero return") and best["anchor"]["val_loss"] > 0
    assert best["search"]["seed"] == 1 and best["run"]["seed"] == 1
    assert best["model_args"]["num_classes"] == 1 and best["model_args"]["input_shape"][0] == 8
    assert best["overrides"]["classifier_activation"] is None  # a regression value
    net = built_from(best)
    assert net.output_shape == (None, 1)
    assert "val_loss" in capsys.readouterr().out


@pytest.mark.parametrize("domain, model, options, message", [
    ("vision", "cnn_small", {"max_trials": 0}, "--max-trials takes a positive integer"),
    ("vision", "cnn_small", {"max_trials": 2, "epochs": 0}, "--epochs takes a positive integer"),
    ("vision", "cnn_small", {"max_trials": 2, "tuner": "grid"}, "--tuner is one of random, hyperband, bayesian"),
    ("recommendation", "mf", {"max_trials": 2}, "zoo tune supports vision, nlp, speech and finance"),
    ("weather", "cnn_small", {"max_trials": 2}, "zoo tune supports"),
    ("vision", "lstm_text", {"max_trials": 2}, "lstm_text takes tokens inputs, not images"),
    ("finance", "cnn_small", {"max_trials": 2}, "needs a model of a window of feature rows"),
    ("nlp", "cnn_small", {"max_trials": 2}, "not token ids"),
    ("vision", "no_such_model", {"max_trials": 2}, "Unknown model 'no_such_model'"),
    ("vision", "cnn_small", {"max_trials": 2, "target": "return"}, "--target is for `zoo tune finance`"),
    ("finance", "mlp_small", {"max_trials": 2, "max_examples": 10}, "--max-examples is not a finance option"),
    ("finance", "mlp_small", {"max_trials": 2, "target": "price"}, "--target is one of return, direction"),
])
def test_bad_input_is_a_clear_value_error_before_anything_is_written(tmp_path, domain, model, options, message):
    out = tmp_path / "never"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("*", r"\*")):
        tune.search(domain, model, output=out, verbose=False, **options)
    assert not out.exists()


def test_the_command_line_arguments():
    args = parse("finance", "--model", "mlp_small", "--max-trials", "3", "--tuner", "bayesian", "--target",
                 "volatility")
    assert (args.max_trials, args.tuner, args.target, args.epochs, args.output) == (3, "bayesian", "volatility",
                                                                                   tune.DEFAULT_EPOCHS, None)
    for argv in (("vision", "--model", "cnn_small"),  # --max-trials is required
                 ("vision", "--model", "cnn_small", "--max-trials", "2", "--tuner", "grid")):
        with pytest.raises(SystemExit):
            parse(*argv)
