"""`zoo tune`: a hyperparameter search of a registry model on a domain's data, through `zoo.tuning`.

    zoo tune DOMAIN --model NAME --max-trials N [--tuner random|hyperband|bayesian] [--data SRC]
                    [--epochs N] [--batch-size N] [--output DIR] [--seed N]
                    vision, nlp, speech: [--max-examples N]
                    finance: [--target return|direction|volatility] [--window N] [--horizon N]

Each trial draws a config from the model family's search space and a learning rate (Adam,
log-uniform in [1e-4, 1e-2]) (`zoo.tuning.ZooHyperModel`), trains on the domain's *training*
split for `--epochs` epochs, exactly as `zoo train DOMAIN` loads and splits the data (the same
pipeline functions, the same default augmentation, the finance scaler fitted on training rows
only), and is scored on the *validation* split: `val_accuracy` for a classifier, `val_loss` for a
regression (finance `return`: MSE of the return scaled by its training standard deviation;
`volatility`: QLIKE, as `zoo train finance` trains it). The test split is never seen by the
search: once it is over, the tuner's best model (the best trial's weights from its best epoch on
the validation split, trained on the training split only, not retrained) is measured on it once.

Files, under the output folder (default a new `runs/tune-<domain>-<date>`):

- `tuner/`: Keras Tuner's own folder (every trial's hyperparameters, scores and weights);
- `best.json` (written atomically): the best trial's hyperparameters, the config overrides they
  stand for (what `zoo.create_model(name, **overrides)` takes, with `model_args`' `num_classes` and
  `input_shape`), its learning rate, its validation score, its test score, and every trial.

The Python entry point is `search(domain, model, max_trials=...)`; the command line's are
`add_parser(subparsers)` and `cmd_tune(args)`.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from keras_zoo import registry

TUNERS = ("random", "hyperband", "bayesian")
DEFAULT_EPOCHS = 5
BEST_FILE = "best.json"
TUNER_DIR = "tuner"
TEST_MODEL = ("the tuner's best model: the best trial's weights from its best epoch on the validation split, "
              "trained on the training split only (not retrained)")


@dataclass
class TuneData:
    """A domain's splits, ready for `tuner.search`, and how to build and score its networks.

    `train`, `val`, `test` are each a batched `tf.data.Dataset` or an `(x, y)` pair of arrays.
    """

    train: Any
    val: Any
    test: Any
    num_classes: int
    input_shape: tuple[int, ...]  # the registry network's input
    counts: dict
    classification: bool
    info: dict = field(default_factory=dict)  # what best.json records under "data"
    fixed: dict = field(default_factory=dict)  # config overrides held fixed in every trial
    wrap: Callable | None = None  # net -> the model trained (resizing, features, augmentation)
    loss: Any = None  # the loss, when not the family's default
    zero_head: bool = False  # start from a zero head (finance: the anchor forecast)
    test_extra: Callable | None = None  # the best model -> extra test metrics (finance: RMSE in return units)
    anchor: dict | None = None  # finance: the anchor's own validation and test loss


# ---------------------------------------------------------------------------------------------
# Checks made before anything is loaded


def supported() -> list[str]:
    """The domains `zoo tune` searches: those whose `Domain` has a `tune_unit`."""
    from keras_zoo.applications import domains

    return [d.name for d in domains.every() if d.tune_unit]


def check_request(domain: str, model: str, *, max_trials, epochs, tuner: str, batch_size=None,
                  max_examples=None, target=None, window=None, horizon=None) -> None:
    """Every mistake that needs no data: raised as a ValueError naming what was received."""
    from keras_zoo.applications import domains

    names = supported()
    if domain not in names:
        words = ", ".join(names[:-1]) + " and " + names[-1]
        reason = domains.get(domain).not_tuned_because if domain in domains.built() else ""
        if reason:
            raise ValueError(f"zoo tune supports {words}. {reason} Received: {domain}")
        raise ValueError(f"zoo tune supports {words}. Received: {domain!r}")
    optional = {"--batch-size": batch_size, "--max-examples": max_examples, "--window": window, "--horizon": horizon}
    given = {"--max-trials": max_trials, "--epochs": epochs, **{f: v for f, v in optional.items() if v is not None}}
    for flag, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{flag} takes a positive integer. Received: {flag} {value}")
    if tuner not in TUNERS:
        raise ValueError(f"--tuner is one of {', '.join(TUNERS)}. Received: --tuner {tuner}")
    domains.get(domain).check_tune_options(max_examples=max_examples, target=target, window=window, horizon=horizon)
    check_model(domain, model)


def check_model(domain: str, model: str) -> None:
    """A registry model that the domain's pipeline can train (its own check, with its own message)."""
    from keras_zoo.applications import domains

    if not model:
        raise ValueError(f"Give a model to tune: zoo tune {domain} --model NAME (`zoo list --domain {domain}`).")
    registry.get_entry(model)  # an unknown name: UnknownModelError, a ValueError with close matches
    domains.get(domain).check_model(model)


def need_validation(counts: dict) -> None:
    if not counts.get("val"):
        raise ValueError("The data has no validation split: zoo tune scores each trial on it (never on the test "
                         f"split). Give more data. Received: {counts}")


# ---------------------------------------------------------------------------------------------
# The hypermodel: zoo.tuning's, inside the domain's model, with the domain's loss


def _hypermodel(model: str, prepared: TuneData):
    import keras
    import keras_tuner

    from keras_zoo import tuning

    class DomainHyperModel(tuning.ZooHyperModel):
        """`zoo.tuning.ZooHyperModel`, its network wrapped and compiled as the domain trains it."""

        def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
            net = super().build(hp)  # draws the config and the learning rate
            if prepared.zero_head:
                head = net.get_layer("head")
                head.set_weights([w * 0 for w in head.get_weights()])
            if prepared.wrap is None and prepared.loss is None:
                return net
            built = prepared.wrap(net) if prepared.wrap is not None else net
            if prepared.loss is not None:
                loss, metrics = prepared.loss, []
            else:
                activation = registry.resolve_config(model, overrides_of(model, hp, self.fixed)).classifier_activation
                loss, metrics = tuning.default_loss_and_metrics(activation, self.num_classes)
            built.compile(optimizer=keras.optimizers.Adam(hp.get("learning_rate")), loss=loss, metrics=metrics)
            return built

    return DomainHyperModel(model, num_classes=prepared.num_classes, input_shape=prepared.input_shape, **prepared.fixed)


def overrides_of(model: str, hp, fixed: dict | None = None) -> dict:
    """The config overrides a trial's hyperparameters stand for: what `zoo.create_model(model, **overrides)` takes."""
    entry = registry.get_entry(model)
    return {**entry.family.search_space(hp.copy(), entry.config), **(fixed or {})}


def _make_tuner(kind: str, hypermodel, *, objective, max_trials: int, epochs: int, directory: Path, seed: int):
    import keras_tuner

    common = dict(objective=objective, directory=str(directory), project_name=TUNER_DIR, seed=seed, overwrite=False)
    if kind != "hyperband":
        tuner_class = {"random": keras_tuner.RandomSearch, "bayesian": keras_tuner.BayesianOptimization}[kind]
        return tuner_class(hypermodel, max_trials=max_trials, **common)
    tuner = keras_tuner.Hyperband(hypermodel, max_epochs=epochs, factor=3, **common)
    tuner.oracle.max_trials = max_trials  # Hyperband's brackets, stopped after --max-trials trials
    return tuner


def search(domain: str, model: str, *, max_trials: int, tuner: str = "random", data: str = "sample",
           epochs: int = DEFAULT_EPOCHS, output: str | Path | None = None, seed: int = 0,
           batch_size: int | None = None, max_examples: int | None = None, target: str | None = None,
           window: int | None = None, horizon: int | None = None, verbose: bool = True) -> dict:
    """Search `model`'s hyperparameters on `domain`'s data; returns the `best.json` record.

    Raises:
        ValueError: an unsupported domain, a model of another domain, a non-positive count, an
            option of another domain, data without a validation split, an output folder in use.
    """
    check_request(domain, model, max_trials=max_trials, epochs=epochs, tuner=tuner, batch_size=batch_size,
                  max_examples=max_examples, target=target, window=window, horizon=horizon)
    from keras_zoo.applications import domains
    from keras_zoo.applications.common import report, training

    say = report.print_if(verbose)
    training.set_seed(seed)
    subject = domains.get(domain)
    batch_size = batch_size or subject.default_batch
    options = dict(max_examples=max_examples, target=target, window=window, horizon=horizon)
    prepared = subject.tune_data(model, data, seed=seed, batch_size=batch_size,
                                 **{k: v for k, v in options.items() if v is not None})
    hypermodel = _hypermodel(model, prepared)  # a bad input shape fails here, before any folder is made

    import keras_tuner

    objective = keras_tuner.Objective(*(("val_accuracy", "max") if prepared.classification else ("val_loss", "min")))
    out = report.prepare_output_dir(output, f"tune-{domain}", run=False)
    say(f"Writing to {out}")
    try:
        tuner_obj = _make_tuner(tuner, hypermodel, objective=objective, max_trials=max_trials, epochs=epochs,
                                directory=out, seed=seed)
    except BaseException:
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    c = prepared.counts
    say(f"Tuning {model} on {domain} {data}: {c['train']} train, {c['val']} validation {subject.tune_unit}; "
        f"{tuner} search, {max_trials} trial(s) of {epochs} epoch(s), objective {objective.name} ({objective.direction})")
    start = time.perf_counter()
    tuner_obj.search(**_fit_arguments(prepared, epochs, batch_size, verbose))
    search = {"max_trials": max_trials, "epochs": epochs, "batch_size": batch_size, "optimizer": "adam",
              "seed": seed, "tuner_dir": TUNER_DIR, "search_s": time.perf_counter() - start}
    record = {"domain": domain, "model": model, "tuner": tuner,
              **_best_of(tuner_obj, prepared, model, objective, batch_size, out), "search": search,
              "data": prepared.info, "trials": trial_rows(tuner_obj), "run": report.run_record(seed=seed)}
    report.write_json(out / BEST_FILE, record)
    if verbose:
        print(f"\n{format_trials(record)}\n\n{format_best(record)}")
        print(f"\nFiles in {out}:\n  {out / BEST_FILE}\n  {out / TUNER_DIR}/")
    record["output"] = str(out)
    return record


def _fit_arguments(prepared: TuneData, epochs: int, batch_size: int, verbose: bool) -> dict:
    """What `tuner.search` passes to each trial's `fit`: the training split, the validation split."""
    from keras_zoo.applications.common.training import progress_verbosity

    fit_args: dict = dict(epochs=epochs, verbose=progress_verbosity() if verbose else 0,  # a bar on a terminal
                          x=prepared.train, validation_data=prepared.val, shuffle=False)  # a dataset shuffles itself
    if isinstance(prepared.train, tuple):
        fit_args.update(x=prepared.train[0], y=prepared.train[1], batch_size=batch_size, shuffle=True)
    return fit_args


def _best_of(tuner_obj, prepared: TuneData, model: str, objective, batch_size: int, out: Path) -> dict:
    """The best trial, and its model scored on the validation split and once on the test split."""
    best_trials = [t for t in tuner_obj.oracle.get_best_trials(1) if t.score is not None]
    if not best_trials:
        raise RuntimeError(f"No trial of {model} completed: see the errors above ({out / TUNER_DIR}).")
    best = best_trials[0]
    with warnings.catch_warnings():  # the checkpoint's optimizer state, not needed to evaluate
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        best_model = tuner_obj.get_best_models(1)[0]
    val_metrics = _evaluate(best_model, prepared.val, batch_size)
    test_metrics = _evaluate(best_model, prepared.test, batch_size)
    if prepared.test_extra is not None:
        test_metrics.update(prepared.test_extra(best_model))
    hp_values = dict(best.hyperparameters.values)
    return {"objective": {"name": objective.name, "direction": objective.direction, "split": "validation"},
            "trial_id": best.trial_id, "hyperparameters": hp_values,
            "overrides": overrides_of(model, best.hyperparameters, prepared.fixed),
            "model_args": {"num_classes": prepared.num_classes, "input_shape": list(prepared.input_shape)},
            "learning_rate": hp_values.get("learning_rate"), "val_score": best.score,
            "test_score": test_metrics.get(objective.name[len("val_"):]), "val_metrics": val_metrics,
            "test_metrics": test_metrics, "test_model": TEST_MODEL,
            **({"anchor": prepared.anchor} if prepared.anchor else {})}


def _evaluate(model, split, batch_size: int) -> dict:
    data = dict(x=split[0], y=split[1], batch_size=batch_size) if isinstance(split, tuple) else dict(x=split)
    return {k: float(v) for k, v in model.evaluate(**data, verbose=0, return_dict=True).items()}


def trial_rows(tuner) -> list[dict]:
    """Every trial, in the order they were made: id, status, hyperparameters, score on the validation split."""
    return [{"trial_id": trial_id, "status": str(trial.status), "hyperparameters": dict(trial.hyperparameters.values),
             "score": trial.score, "best_step": trial.best_step} for trial_id, trial in tuner.oracle.trials.items()]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-2 and value else f"{value:.4g}"
    return str(value)


def format_trials(record: dict) -> str:
    """The trials as a table: id, each hyperparameter, the validation score; the best marked `*`."""
    from keras_zoo.applications.cli import _table

    names = list(dict.fromkeys(k for t in record["trials"] for k in t["hyperparameters"] if not k.startswith("tuner/")))
    if any("tuner/epochs" in t["hyperparameters"] for t in record["trials"]):
        names.append("tuner/epochs")
    rows = []
    for t in record["trials"]:
        mark = "*" if t["trial_id"] == record["trial_id"] else ""
        status = "" if t["status"] == "COMPLETED" else f" ({t['status'].lower()})"
        rows.append([t["trial_id"] + mark, *(_fmt(t["hyperparameters"].get(n)) for n in names),
                     _fmt(t["score"]) + status])
    header = ["trial", *(n.replace("tuner/", "") for n in names), record["objective"]["name"]]
    return _table(rows, header)


def format_best(record: dict) -> str:
    from keras_zoo.applications import domains

    objective = record["objective"]["name"]
    metric = objective[len("val_"):]
    unit = (domains.get(record["domain"]).tune_unit if record["domain"] in domains.built() else None) or "examples"
    lines = [f"Best: trial {record['trial_id']}, {objective} {_fmt(record['val_score'])}, "
             f"test {metric} {_fmt(record['test_score'])} on {record['data'].get('test')} held-out test {unit} "
             "(the best trial's model, not retrained)",
             f"  learning rate {_fmt(record['learning_rate'])}, overrides: "
             + ", ".join(f"{k}={_fmt(v) if isinstance(v, float) else repr(v)}" for k, v in record["overrides"].items())]
    anchor = record.get("anchor")
    if anchor:
        lines.append(f"  {anchor['name']} (a zero head) has val_loss {_fmt(anchor['val_loss'])}, "
                     f"test loss {_fmt(anchor['test_loss'])}")
    if "rmse" in record["test_metrics"]:
        lines.append(f"  test RMSE {record['test_metrics']['rmse']:.5f} (log return)")
    args = ", ".join(f"{k}={tuple(v) if isinstance(v, list) else v!r}" for k, v in record["model_args"].items())
    lines.append(f"  zoo.create_model({record['model']!r}, {args}, **best['overrides'])")
    return "\n".join(lines)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add `zoo tune` to the `zoo` command's sub-parsers."""
    p = subparsers.add_parser("tune", help="search a model's hyperparameters on a domain's data (Keras Tuner)")
    from keras_zoo.applications.domains import built, every

    p.add_argument("domain", choices=built(), help=f"supported: {', '.join(supported())}")
    p.add_argument("--model", required=True, help="a registry name (`zoo list --domain DOMAIN`)")
    p.add_argument("--max-trials", type=int, required=True, metavar="N", help="how many configurations to try")
    p.add_argument("--tuner", choices=TUNERS, default="random", help="the search (default random); hyperband "
                   "trains trials for 1 to --epochs epochs, as many trials as its brackets make, at most --max-trials")
    p.add_argument("--data", default="sample", help="sample | tfds:NAME[/CONFIG] | a folder | a CSV file")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"per trial (default {DEFAULT_EPOCHS})")
    p.add_argument("--batch-size", type=int, help="default: the domain's (32; speech and finance 64)")
    p.add_argument("--output", help="the search's folder (default: a new folder under runs/)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-examples", type=int, help="vision, nlp, speech: cap each split (quick runs)")
    for domain in every():
        domain.add_tune_arguments(p)
    p.set_defaults(func=cmd_tune)
    return p


def cmd_tune(args: argparse.Namespace) -> int:
    search(args.domain, args.model, max_trials=args.max_trials, tuner=args.tuner, data=args.data,
           epochs=args.epochs, output=args.output, seed=args.seed, batch_size=args.batch_size,
           max_examples=args.max_examples, target=args.target, window=args.window, horizon=args.horizon)
    return 0
