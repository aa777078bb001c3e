"""The `Domain` contract: every registered domain fills it in, and a new one is its package plus one line.

`ToyDomain` below is a whole domain in a few lines: its own `zoo train` option, a config, a run
through the shared training loop and report writer. Registered for one test (the one line a new
domain adds to `applications/domains.py`), it trains through `zoo train`'s own code path.
"""

import json

import numpy as np
import pytest

from keras_zoo.applications import cli, domains
from keras_zoo.applications.common.domain import Domain
from tests.cli_checks import run_zoo


@pytest.mark.parametrize("name", domains.built())
def test_every_registered_domain_fills_in_the_contract(name):
    domain = domains.get(name)
    assert isinstance(domain, Domain)
    assert domain.name == name
    assert domain.test_unit and isinstance(domain.test_unit, str)
    assert isinstance(domain.default_train, dict)
    assert domain.float_inputs in ("pixels", "audio", "features")  # `zoo export`'s parity inputs
    assert domain.pipeline and domain.module.__name__ == domain.pipeline
    for method in ("config_from_args", "train_and_evaluate", "evaluate", "predict", "demo"):
        assert callable(getattr(domain.module, method)), method  # what the default methods call
    if domain.tune_unit:  # `zoo tune` searches it: the set-up it shares with `zoo train`
        assert callable(domain.module.tune_data) and domain.default_batch >= 1
    else:
        assert domain.not_tuned_because
    for flag, dest in domain.own_flags.items():  # refused elsewhere: each must be a `zoo train` option
        assert flag.startswith("--") and dest == flag[2:].replace("-", "_")


def test_domains_and_their_facts_are_registered_in_order():
    assert domains.built() == ["vision", "nlp", "speech", "recommendation", "finance"]
    units = {d.name: d.test_unit for d in domains.every()}
    assert units == {"vision": "examples", "nlp": "examples", "speech": "examples", "recommendation": "users",
                     "finance": "periods"}
    with pytest.raises(ValueError, match="Unknown domain.*Received: 'music'"):
        domains.get("music")


def test_every_domain_adds_its_own_argument_group(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--help"])
    help_text = capsys.readouterr().out
    places = [help_text.index(f"\n{name}:\n") for name in domains.built()]
    assert places == sorted(places)


def test_summary_and_prediction_lines_of_a_classifier():
    domain = domains.get("vision")
    record = {"model": "cnn_small", "metrics": {"accuracy": 0.9, "macro_f1": 0.85, "accuracy_negation": 0.5},
              "timing": {"train_s": 1.234}, "baselines": {"svm": {"accuracy": 0.8, "macro_f1": 0.7, "train_s": 0.5}}}
    header, rows, notes = domain.summary(record)
    assert header == ["model", "test accuracy", "macro-F1", "negation acc.", "train s"]
    assert rows == [["cnn_small", "0.9000", "0.8500", "0.5000", "1.23"], ["svm", "0.8000", "0.7000", "-", "0.50"]]
    assert notes == ["cnn_small beats the best baseline, svm: 0.9000 against 0.8000."]
    record["baselines"]["hog_svm"] = {"accuracy": 0.95, "macro_f1": 0.9}  # issue 25: said plainly when it loses
    assert domain.summary(record)[2] == ["cnn_small does not beat the best baseline, hog_svm: 0.9000 against 0.9500."]
    record["baselines"]["hog_svm"]["accuracy"] = 0.9
    assert domain.summary(record)[2] == ["cnn_small ties the best baseline, hog_svm: 0.9000 both; it does not beat it."]
    result = {"input": "a.wav", "label": "yes", "probability": 0.75, "top": [("yes", 0.75), ("no", 0.2)]}
    assert domain.format_prediction(result) == ["a.wav\tyes\t0.7500\tno 0.2000"]


# ---------------------------------------------------------------------------------------------
# A sixth domain: this module is its package, `monkeypatch.setitem(domains.REGISTERED, ...)` its line


class ToyDomain(Domain):
    """Is a point above the line y = x? A two-unit softmax on noisy points, against a fixed rule."""

    name = "toy"
    test_unit = "points"
    default_train = dict(epochs=2, batch_size=16, patience=0)
    own_flags = {"--noise": "noise"}

    def add_arguments(self, parser):
        parser.add_argument_group("toy").add_argument("--noise", type=float, help="toy: label noise (default 0.1)")

    def config_from_args(self, args, train):
        return {"noise": 0.1 if args.noise is None else args.noise, "train": train}

    def train_and_evaluate(self, config, output):
        import keras

        from keras_zoo.applications.common import report, training
        from keras_zoo.applications.common.runs import save_model

        train = config["train"]
        training.set_seed(train.seed)
        rng = np.random.default_rng(train.seed)
        x = rng.normal(size=(96, 2)).astype("float32")
        y = ((x[:, 1] > x[:, 0]) ^ (rng.random(96) < config["noise"])).astype("int32")
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")], name="toy_linear")
        fit = training.fit(model, (x[:64], y[:64]), (x[64:80], y[64:80]), train, output,
                           loss="sparse_categorical_crossentropy", metrics=["accuracy"], n_train=64)
        accuracy = float(np.mean(model.predict(x[80:], verbose=0).argmax(-1) == y[80:]))
        rule = float(np.mean((x[80:, 1] > x[80:, 0]) == y[80:]))
        save_model(model, output)
        report.write_history_csv(output, fit.history)
        report.write_metrics(output, domain=self.name, model="toy_linear", pretrained=None,
                             data={"source": "toy", "train": 64, "val": 16, "test": 16, "classes": ["below", "above"]},
                             metrics={"accuracy": accuracy}, baselines={"rule": {"accuracy": rule}},
                             timing={"train_s": fit.train_s, "train_examples_per_s": fit.examples_per_s},
                             seed=train.seed)
        return report.read_metrics(output)


DOMAIN = ToyDomain()


def test_a_new_domain_is_its_package_and_one_registration_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(domains.REGISTERED, "toy", __name__)  # the one line in applications/domains.py

    out = tmp_path / "run"
    status = cli.main(["train", "toy", "--noise", "0.05", "--epochs", "1", "--output", str(out), "--seed", "1"])
    printed = capsys.readouterr().out
    assert status == 0
    record = json.loads((out / "metrics.json").read_text())
    assert record["domain"] == "toy" and record["data"]["test"] == 16
    assert (out / "model.keras").is_file() and (out / "history.csv").is_file()
    # The summary table comes from the domain's `summary` (the classifier default), its unit from `test_unit`.
    assert "toy_linear" in printed and "rule" in printed and "test accuracy" in printed
    assert f"16 held-out test points. Files in {out}:" in printed

    # Its option is its own: another domain's `zoo train` refuses it with the same sentence as finance's.
    status, stderr = run_zoo(["train", "vision", "--noise", "0.2", "--output", str(tmp_path / "v")], capsys)
    assert status == 2 and "--noise is for `zoo train toy`, not vision." in stderr
    assert not (tmp_path / "v").exists()


def test_an_option_of_one_domain_is_refused_by_another(capsys, tmp_path):
    status, stderr = run_zoo(["train", "nlp", "--window", "8", "--output", str(tmp_path / "run")], capsys)
    assert status == 2 and "--window is for `zoo train finance`, not nlp." in stderr


def test_prepare_is_the_set_up_train_tune_and_benchmark_share():
    from keras_zoo.applications.common.classifier import Setup
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.vision.pipeline import VisionConfig

    vision = domains.get("vision")
    setup = vision.prepare(VisionConfig(model="cnn_small", train=TrainConfig(batch_size=64)))
    assert isinstance(setup, Setup) and setup.class_names == tuple(str(d) for d in range(10))
    assert setup.counts == {"train": 1149, "val": 288, "test": 360} and setup.n_train == 1149
    assert setup.steps_per_epoch == 18 and tuple(setup.input_shape) == (8, 8, 1)
    images, labels = next(iter(setup.train))
    assert images.shape == (64, 8, 8, 1) and labels.shape == (64,)
    with pytest.raises(NotImplementedError, match="recommendation domain has no shared set-up"):
        domains.get("recommendation").prepare(None)
