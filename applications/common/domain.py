"""`Domain`: the one contract between the `zoo` command and an application domain.

The command line (`applications/cli.py`) never branches on a domain's name: it asks the domain
for its argument group, its config, its run, its table and its predictions. A domain package
exposes one instance (`DOMAIN = VisionDomain()` in its `domain.py`) and `applications/domains.py`
registers it with one line. This module imports neither TensorFlow nor NumPy, nor a domain's
pipeline: `zoo list` builds the whole parser and must stay instant.

The defaults suit a classifier (vision, nlp, speech): a table of accuracy and macro-F1 beside the
baselines, and one line per input, `INPUT<TAB>LABEL<TAB>PROBABILITY`. A domain whose runs are
functions of its `pipeline` module (`train_and_evaluate`, `evaluate`, `predict`, `demo`,
`config_from_args`) names that module; another overrides the methods.

Example:
    A sixth domain is a package with a `domain.py` like this one, and one line in
    `applications/domains.py` (`"toy": "keras_zoo.applications.toy.domain"`):

    >>> from keras_zoo.applications.common.domain import Domain
    >>> class ToyDomain(Domain):
    ...     name = "toy"
    ...     pipeline = "keras_zoo.applications.toy.pipeline"  # its train_and_evaluate, evaluate, ...
    ...     def add_arguments(self, parser):
    ...         parser.add_argument_group("toy").add_argument("--noise", type=float)
    >>> DOMAIN = ToyDomain()
    >>> DOMAIN.default_train, DOMAIN.test_unit
    ({}, 'examples')
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from types import ModuleType

DEFAULT_BATCH = 32  # `cli.TRAIN_DEFAULTS`' batch size, for a domain whose recipe names none


class Domain:
    """An application domain, as `zoo train|evaluate|predict|demo` see it.

    Attributes:
        name: the domain's name on the command line (`zoo train NAME`).
        test_unit: what the summary after training counts on the test split ("examples", "users").
        default_train: the domain's training recipe over the command's (`cli.TRAIN_DEFAULTS`):
            `epochs`, `batch_size`, `optimizer`, `learning_rate`, `schedule`, `patience`...
        own_flags: `{flag: args attribute}` of options only this domain takes: given to another
            domain's `zoo train`, they are refused ("--window is for `zoo train finance`, not nlp.").
        own_predict_flags: the same for `zoo predict` (added by `add_predict_arguments`).
        pipeline: the module whose functions the default methods call (imported on first use).
        tune_unit: what `zoo tune` counts in a split ("images"); None: `zoo tune` does not search
            the domain (`not_tuned_because` says why, to the user who asks).
        input_benchmarked: `zoo benchmark --pipeline` measures its `input_feed`.
        searches: without --model, a run on the user's data chooses its model among candidates on
            the validation split (`Classifier.search`), bounded by `--time-budget`.
        float_inputs: what `zoo export`'s parity check feeds a model of float inputs: "pixels"
            (uniform in [0, 1)), "audio" (speaking level, N(0, 0.1) within [-1, 1]) or
            "features" (standardised, N(0, 1)).
    """

    name: str = ""
    test_unit: str = "examples"
    default_train: dict = {}
    own_flags: dict[str, str] = {}
    own_predict_flags: dict[str, str] = {}
    pipeline: str | None = None
    tune_unit: str | None = None
    not_tuned_because: str = ""
    input_benchmarked: bool = False
    searches: bool = False
    float_inputs: str = "features"

    @property
    def module(self) -> ModuleType:
        """The domain's pipeline module, imported now (it imports TensorFlow)."""
        if not self.pipeline:
            raise NotImplementedError(f"The {self.name} domain names no pipeline module; it overrides its methods.")
        return importlib.import_module(self.pipeline)

    # -- zoo train ------------------------------------------------------------------------------

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the domain's own options to `zoo train`'s parser (an argument group named after it)."""

    def refuse_flags(self, args: argparse.Namespace, domain: str, command: str = "train") -> None:
        """Refuse this domain's own options (`own_flags`, `own_predict_flags`) given to another domain's command."""
        if domain == self.name:
            return
        flags = self.own_predict_flags if command == "predict" else self.own_flags
        given = [flag for flag, dest in flags.items() if getattr(args, dest, None) not in (None, False)]
        if given:
            verb = "is" if len(given) == 1 else "are"
            raise ValueError(f"{', '.join(given)} {verb} for `zoo {command} {self.name}`, not {domain}.")

    def config_from_args(self, args: argparse.Namespace, train):
        """The run's config from `zoo train` arguments and the resolved `TrainConfig`; ValueError for a misfit."""
        return self.module.config_from_args(args, train)

    def prepare(self, config):
        """The run's set-up that train, tune and benchmark share: data, network input, batches
        (a `common.classifier.Setup` for the classification domains).

        Raises:
            NotImplementedError: the domain's runs share no set-up (recommendation and finance
                build theirs inside `train_and_evaluate` and `tune_data`).
        """
        module = self.module
        if not hasattr(module, "prepare"):
            raise NotImplementedError(f"The {self.name} domain has no shared set-up; its runs make their own.")
        return module.prepare(config)

    def train_and_evaluate(self, config, output: Path) -> dict:
        """Train, evaluate on the test split, write the run's files into `output`; the `metrics.json` record."""
        return self.module.train_and_evaluate(config, output)

    def summary(self, record: dict) -> tuple[list[str], list[list[str]], list[str]]:
        """`(header, rows, notes)`: the table `zoo train` prints after a run, and sentences under it.

        The default: the model and each baseline's test accuracy, macro-F1, the accuracy of each
        subset the domain reports on its own (`accuracy_<subset>` keys) and training seconds.
        """
        subsets = [k for k in record["metrics"] if k.startswith("accuracy_")]

        def row(name, values, seconds):
            return [name, _num(values.get("accuracy")), _num(values.get("macro_f1")),
                    *(_num(values.get(k)) for k in subsets), seconds]

        rows = [row(record["model"], record["metrics"], f"{record['timing']['train_s']:.2f}")]
        rows += [row(name, values, _num(values.get("train_s"), 2)) for name, values in record.get("baselines", {}).items()]
        header = ["model", "test accuracy", "macro-F1", *(f"{k[9:]} acc." for k in subsets), "train s"]
        notes = [verdict(record)] if record.get("baselines") else []
        search = record.get("search")
        if search:  # the model was chosen on validation: every candidate's score there, the test only for the chosen
            header.insert(1, "val. accuracy")
            trained, chosen = {r["model"]: r for r in search["candidates"]}, search["chosen"]
            rows[0].insert(1, _num(trained[chosen]["val_accuracy"]))
            for r, name in zip(rows[1:], record.get("baselines", {})):
                r.insert(1, _num(search["baselines_val"].get(name, {}).get("accuracy")))
            for at, (name, r) in enumerate([item for item in trained.items() if item[0] != chosen], start=1):
                rows.insert(at, [name, _num(r.get("val_accuracy")), *["-"] * (len(header) - 3),
                                 _num(r.get("train_s"), 2) if "train_s" in r else "skipped"])
            rows[0][0] = f"{chosen} (chosen)"
            notes.insert(0, f"Chosen on the validation split: {search['why']}. Candidates not chosen were not scored "
                            f"on the test split ({search['search_s']:.0f} s of search; --model NAME trains one model).")
        return header, rows, notes

    # -- a finished run -------------------------------------------------------------------------

    def evaluate(self, model_dir: str | Path, data: str, **options) -> dict:
        """Score a finished run on `data` (its own test split for the source it trained on); prints a line."""
        return self.module.evaluate(model_dir, data, **options)

    def validate(self, checkpoint: str, data: str, **options) -> dict:
        """Re-measure a checkpoint's card on `data`, as `evaluate` scores a run; prints the card's number beside."""
        if not hasattr(self.module, "validate"):
            raise ValueError(f"`zoo validate` takes vision, speech and nlp checkpoints, not {self.name} ones.")
        return self.module.validate(checkpoint, data, **options)

    def add_predict_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the domain's own options to `zoo predict`'s parser (its `own_predict_flags`)."""

    def predict_request(self, args: argparse.Namespace) -> tuple[list[str], dict]:
        """`(inputs, options)` for `predict` from `zoo predict` arguments; ValueError for the wrong ones."""
        if not args.inputs:
            raise ValueError(f"Give at least one input: zoo predict {self.name} --model-dir D INPUT...")
        return list(args.inputs), {}

    def predict(self, model_dir: str | Path, inputs: list[str], **options) -> list[dict]:
        """One result per input: a dict with at least `input` (and a classifier's `label`, `probability`)."""
        return self.module.predict(model_dir, inputs, **options)

    def format_prediction(self, result: dict) -> list[str]:
        """The lines `zoo predict` prints for one result: `INPUT, LABEL, PROBABILITY` and the runners-up."""
        others = "".join(f"\t{label} {p:.4f}" for label, p in result.get("top", [])[1:])
        return [f"{result['input']}\t{result['label']}\t{result['probability']:.4f}{others}"]

    def demo(self, output: Path, seed: int = 0) -> dict:
        """The offline demo, a `zoo train` run on the embedded sample; the `metrics.json` record."""
        return self.module.demo(output, seed=seed)

    # -- zoo tune, zoo benchmark --pipeline -----------------------------------------------------

    @property
    def default_batch(self) -> int:
        """The batch size of the domain's recipe (`zoo tune`'s default)."""
        return self.default_train.get("batch_size", DEFAULT_BATCH)

    def check_model(self, name: str) -> None:
        """A ValueError, in the domain's words, for a registry model its pipeline cannot train."""

    def add_tune_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the domain's own options to `zoo tune`'s parser."""

    def check_tune_options(self, *, max_examples=None, target=None, window=None, horizon=None) -> None:
        """Refuse the `zoo tune` options the domain does not take (by default, finance's)."""
        given = [f for f, v in (("--target", target), ("--window", window), ("--horizon", horizon)) if v is not None]
        if given:
            raise ValueError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for `zoo tune finance`, "
                             f"not {self.name}.")

    def tune_data(self, model: str, data: str, *, seed: int, batch_size: int, **options):
        """The splits `zoo tune` searches on, loaded as `zoo train` loads them: an `applications.tune.TuneData`."""
        return self.module.tune_data(model, data, seed=seed, batch_size=batch_size, **options)

    def input_feed(self, model: str | None, data: str, *, batch_size: int, seed: int):
        """`(model name, model, training batches)` as `zoo train` makes them, for `zoo benchmark --pipeline`."""
        return self.module.input_feed(model, data, batch_size=batch_size, seed=seed)


def _num(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def verdict(record: dict) -> str:
    """One sentence: does the run's model beat its best baseline on test accuracy? Said plainly when not."""
    name, accuracy = record["model"], record["metrics"]["accuracy"]
    best, scores = max(record["baselines"].items(), key=lambda item: item[1].get("accuracy", float("-inf")))
    if accuracy > scores["accuracy"]:
        return f"{name} beats the best baseline, {best}: {accuracy:.4f} against {scores['accuracy']:.4f}."
    if accuracy == scores["accuracy"]:
        return f"{name} ties the best baseline, {best}: {accuracy:.4f} both; it does not beat it."
    return f"{name} does not beat the best baseline, {best}: {accuracy:.4f} against {scores['accuracy']:.4f}."
