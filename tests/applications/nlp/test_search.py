"""The model a run on the user's own text gets without --model: chosen on validation, never on test."""

import json

import pytest

from keras_zoo.applications.nlp import pipeline
from tests.applications.nlp.test_pipeline import corpus_rows, write_csv
from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # trains through `zoo` (make test-fast skips it)


def test_the_choice_is_made_on_validation_only_and_model_trains_one(tmp_path, monkeypatch, capsys):
    # The test split's labels are the opposite of the training split's: a candidate that is worse on
    # validation is better on this test split, so a choice that peeked at it would be seen.
    train = write_csv(tmp_path / "train.csv", corpus_rows(600, seed=3))
    test = write_csv(tmp_path / "test.csv", corpus_rows(200, seed=4, labels=("good", "bad")))
    monkeypatch.chdir(tmp_path)
    common = ["--data", str(train), "--test-data", str(test), "--epochs", "3"]
    status, stderr = run_zoo(["train", "nlp", *common, "--output", str(tmp_path / "chosen")], capsys)
    assert status == 0, stderr
    record = json.loads((tmp_path / "chosen" / "metrics.json").read_text())
    search = record["search"]
    val = {row["model"]: row["val_accuracy"] for row in search["candidates"]}
    assert list(val) == list(pipeline.CANDIDATES) and set(search["baselines_val"]) == {"tfidf_logreg", "naive_bayes",
                                                                                      "nbsvm"}
    assert search["chosen"] == max(val, key=val.get)
    assert record["model"] == pipeline.SOLVED.get(search["chosen"], search["chosen"])
    assert search["chosen_test_accuracy"] == record["metrics"]["accuracy"] and "test split took no part" in search["why"]
    assert not (tmp_path / "chosen" / "candidates").exists()  # the chosen one's checkpoints are the run's (if trained)
    assert (tmp_path / "chosen" / "checkpoints").is_dir() == (search["chosen"] not in pipeline.SOLVED)

    # The candidate worst on validation, trained alone: --model makes no search, and it wins on this test split.
    loser = min(val, key=val.get)
    assert val[loser] < val[search["chosen"]] and loser not in pipeline.SOLVED
    status, stderr = run_zoo(["train", "nlp", *common, "--model", loser, "--output", str(tmp_path / "alone")], capsys)
    assert status == 0, stderr
    alone = json.loads((tmp_path / "alone" / "metrics.json").read_text())
    assert alone["model"] == loser and "search" not in alone
    assert alone["metrics"]["accuracy"] > record["metrics"]["accuracy"]


@pytest.mark.parametrize("flags, expected", [
    ([], pipeline.CANDIDATES),
    (["--model", "mlp_text"], ()),
    (["--embeddings", "glove.txt", "--model", "cnn_text"], ()),
    (["--embeddings", "glove.txt"], ()),  # of the candidates only cnn_text reads word vectors: nothing to choose
])
def test_which_runs_choose(flags, expected):
    from keras_zoo.applications.cli import build_parser

    args = build_parser().parse_args(["train", "nlp", "--data", "mine.csv", *flags])
    config = pipeline.config_from_args(args, pipeline.NLPConfig().train)
    assert config.candidates == expected
    assert config.model == (flags[flags.index("--model") + 1] if "--model" in flags else
                            "cnn_text" if "--embeddings" in flags else pipeline.DEFAULT_MODEL)
    sample = build_parser().parse_args(["train", "nlp", *flags])
    assert pipeline.config_from_args(sample, pipeline.NLPConfig().train).candidates == ()  # the bundled sample


@pytest.mark.parametrize("flags, message", [
    (["--model", "cnn_text", "--time-budget", "60"], "--model names the model"),
    (["--time-budget", "0"], "time_budget is in seconds and must be positive"),
])
def test_time_budget_needs_a_choice(flags, message, tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", corpus_rows(50, 0))
    status, stderr = run_zoo(["train", "nlp", "--data", str(data), *flags, "--output", str(tmp_path / "run")], capsys)
    assert status == 2 and message in stderr and not (tmp_path / "run").exists()


@pytest.mark.parametrize("labels", [("bad", "good"), ("bad", "good", "meh")])
def test_the_solved_linear_text_predicts_what_nbsvm_predicts(labels, tmp_path):
    """`linear_text_nbsvm` is NBSVM as a Keras model: the same decisions on the same bags of n-grams."""
    import numpy as np
    import tensorflow as tf

    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.nlp.baselines import NBSVM

    rows = [(text, labels[i % len(labels)] if label == labels[0] else label)
            for i, (text, label) in enumerate(corpus_rows(300, seed=2, labels=labels[:2]))]
    config = pipeline.CLASSIFIER.candidate_config(pipeline.NLPConfig(
        data=str(write_csv(tmp_path / "d.csv", rows)), train=TrainConfig(epochs=1)), "linear_text_nbsvm")
    assert config.model == "linear_text" and config.solver == "nbsvm"
    setup = pipeline.prepare(config)
    net, _ = pipeline.CLASSIFIER.build(config, setup)
    fit = pipeline.solve_nbsvm(net, setup)
    assert fit.epochs_run == 1 and 0 <= fit.history["val_accuracy"][0] <= 1

    texts, y = setup.extra["train"]
    strings = tf.constant([str(t) for t in texts])
    bags = pipeline._to_scipy(pipeline.sparse_bags(setup.extra["featurize"].vectorizer, strings))
    expected = NBSVM().fit(bags, y).predict(bags)
    keras_says = np.argmax(pipeline.end_to_end(setup.extra["featurize"].vectorizer, net, "linear_text",
                                               weights=setup.extra["featurize"].weights).predict(strings, verbose=0), 1)
    assert np.mean(keras_says == expected) == 1.0 and np.mean(expected == y) > 0.8
