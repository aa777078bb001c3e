"""The run that the classification domains share: train, report, evaluate, predict top-k, demo.

Vision, NLP and speech differ in their data, their input layers and their baselines, and in
nothing else: each is a `Classifier` that fills those in, and the run around them is written once
here. `prepare(config)` is the one set-up (data, network input, batches) that `zoo train`,
`zoo tune` and `zoo benchmark --pipeline` share, so that what they measure is what trains.

Example:
    A domain's pipeline module makes one instance and exposes its methods as the module's
    functions, which its `Domain` calls:

        class ImageClassifier(Classifier):
            domain, unit, config_class = "vision", "images", VisionConfig
            def check_model(self, name): ...
            def prepare(self, config) -> Setup: ...        # splits, batches, network input
            def test_split(self, setup) -> TestSplit: ...  # what the saved model reads, labels
            def baselines(self, config, setup, test, probs): ...
            def read_test(self, source, record, seed) -> TestSplit: ...   # for `zoo evaluate`
            def read_inputs(self, inputs, record): ...     # for `zoo predict`

        CLASSIFIER = ImageClassifier()
        train_and_evaluate, evaluate, predict, demo = (CLASSIFIER.train_and_evaluate, ...)
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

LOSS = "sparse_categorical_crossentropy"  # every classifier's output is a softmax over integer labels
TIME_BUDGET_S = 600.0  # a model search (`Classifier.search`) starts no new candidate once this much time has gone


def check_search(config) -> None:
    """The checks of a config's `candidates` and `time_budget` (the domains that choose their model)."""
    budget = config.time_budget
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0:
        raise ValueError(f"time_budget is in seconds and must be positive. Received: time_budget={budget!r}")
    config.candidates = tuple(config.candidates)
    if config.candidates and config.pretrained:
        raise ValueError("A pretrained checkpoint names its model: give --model, not a choice of candidates.")


def chooses(args) -> bool:
    """Whether a `zoo train` run chooses its model: on the user's own data, without --model or --pretrained."""
    return not (args.model or args.pretrained or args.data == "sample")


def model_from_args(args, default: str) -> str:
    """The model a `zoo train` run trains: --model; else the model of the --pretrained checkpoint or
    run folder (a run of `cnn_text` fine-tunes `cnn_text` without --model cnn_text); else `default`.

    A --pretrained that names no checkpoint of a known model leaves `default`: the run then fails
    on it with the checkpoint's own error.
    """
    if args.model or not args.pretrained:
        return args.model or default
    from keras_zoo import checkpoints

    try:
        return checkpoints.find(args.pretrained).model
    except (OSError, ValueError):  # CheckpointError is a ValueError
        return default


def search_options(args, candidates: tuple[str, ...]) -> dict:
    """The config fields of a search from `zoo train` arguments: `candidates` when there are two or more
    to choose among (`chooses`), and `--time-budget`, which is refused where no choice is made."""
    candidates = candidates if chooses(args) else ()
    budget = getattr(args, "time_budget", None)
    if budget is not None and (args.model or len(candidates) < 2):
        raise ValueError("--time-budget bounds the choice of a model on your data, and this run makes none "
                         + ("(--model names the model)." if args.model else "(--data sample or --pretrained)."))
    return {"candidates": candidates if len(candidates) > 1 else (),
            **({"time_budget": budget} if budget is not None else {})}


@dataclass
class Setup:
    """A run's data made ready: what train, tune and benchmark share (`Classifier.prepare`)."""

    data: Any  # the domain's loaded splits: `class_names`, `source`, `skipped`
    counts: dict  # {"train": n, "val": n, "test": n}
    train: Any  # training batches (shuffled, augmented as the run's recipe says)
    val: Any  # validation batches, or None without a validation split
    test: Any  # test batches (for `zoo tune`'s one look at the test split)
    input_shape: tuple  # what the registry network takes
    wrap: Callable | None = None  # network -> the model that trains (the run's input layers); None: itself
    n_train: int = 0  # examples an epoch goes through (more than `counts["train"]` when a small set repeats)
    steps_per_epoch: int | None = None
    fixed: dict = field(default_factory=dict)  # `create_model` arguments the data fixes (a vocabulary size)
    info: dict = field(default_factory=dict)  # what a search's `best.json` records of the data
    extra: dict = field(default_factory=dict)  # the domain's own (a text vectoriser, word vectors)

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.data.class_names)


@dataclass
class TestSplit:
    """Held-out examples as the saved model reads them (images, texts, audio), with their labels."""

    inputs: Any
    labels: np.ndarray
    masks: dict = field(default_factory=dict)  # subsets reported on their own: name -> boolean mask
    skipped: Any = field(default_factory=list)  # files that could not be read


class Classifier:
    """A classification domain's run; a subclass fills in the methods that raise NotImplementedError.

    Attributes:
        domain: the domain's name (`metrics.json`'s "domain", `zoo train DOMAIN`).
        unit: what an example is called in the lines printed ("images", "texts", "clips").
        config_class: the run's config dataclass (fields `model`, `data`, `max_examples`, `train`).
        demo_model: the model `zoo demo` trains (None: the config's default).
        top: how many classes `predict` gives per input by default.
        reported_subset: a subset whose accuracy the closing lines print (NLP's "negation").
        no_inputs: the error for `predict` without inputs.
    """

    domain: str = ""
    unit: str = "examples"
    config_class: type = None  # type: ignore[assignment]
    demo_model: str | None = None
    top: int = 1
    reported_subset: str | None = None
    no_inputs: str = "Give at least one input to predict."

    # -- what a domain fills in -----------------------------------------------------------------

    def check_model(self, name: str) -> None:
        """A ValueError, in the domain's words, for a registry model it cannot train."""
        raise NotImplementedError

    def prepare(self, config, *, tuning: bool = False) -> Setup:
        """Load and split the data as the run's config says; batches and the network's input.

        `tuning`: for `zoo tune`, whose trials draw their own configs (a text CNN's widest filter).
        """
        raise NotImplementedError

    def test_split(self, setup: Setup) -> TestSplit:
        """The test split as the saved model reads it."""
        raise NotImplementedError

    def baselines(self, config, setup: Setup, test: TestSplit, probs: np.ndarray) -> dict[str, dict]:
        """The classical baselines, trained on the training split and scored on `test`: name -> scores."""
        raise NotImplementedError

    def read_test(self, source, record: dict, seed: int) -> TestSplit:
        """`zoo evaluate`'s data: the test split of a source split with `seed`, or a folder or file whole."""
        raise NotImplementedError

    def read_inputs(self, inputs: list[str], record: dict):
        """`zoo predict`'s inputs (files, texts) as the saved model reads them; ValueError for a bad one."""
        raise NotImplementedError

    # -- what a domain may change ---------------------------------------------------------------

    def build(self, config, setup: Setup):
        """`(model, net)`: the registry network `net` (from `config.pretrained` when given) and the
        model that trains, `net` behind the run's input layers."""
        net = create_network(config, setup.input_shape, len(setup.class_names), **setup.fixed)
        return (setup.wrap(net) if setup.wrap else net), net

    def saved_model(self, model, setup: Setup):
        """What `model.keras` holds: the model that takes the domain's raw inputs."""
        return model

    def probabilities(self, model, inputs, num_classes: int) -> np.ndarray:
        if not len(inputs):
            return np.zeros((0, num_classes))
        return model.predict(inputs, batch_size=256, verbose=0)

    def data_line(self, setup: Setup) -> str:
        c = setup.counts
        return (f"Data {setup.data.source}: {c['train']} train, {c['val']} validation, {c['test']} test {self.unit}, "
                f"{len(setup.class_names)} classes")

    def model_line(self, config, setup: Setup, net) -> str:
        return (f"Model {config.model}" + (f" from checkpoint {config.pretrained}" if _pretrained(config) else "")
                + f": {net.count_params():,} parameters, input {net.input_shape[1:]}")

    def extra_metrics(self, setup: Setup, per_class: dict) -> dict:
        """Scores of the model beyond accuracy and macro-F1 (speech's recall per word)."""
        return {}

    def data_record(self, setup: Setup, test: TestSplit) -> dict:
        """`metrics.json`'s "data" beyond source, counts, classes and skipped files."""
        return {}

    def record_extra(self, config, setup: Setup) -> dict:
        """Keys of `metrics.json` of the domain's own (NLP's "embeddings")."""
        return {}

    def plots(self, run: "FinishedRun", output_dir: Path) -> list[Path]:
        """The domain's figures beyond the history and the confusion matrix."""
        return []

    def demo_config(self, seed: int):
        """The config `zoo demo` trains: the domain's default on its embedded sample."""
        train = dataclasses.replace(self.config_class().train, seed=seed)
        return self.config_class(**({"model": self.demo_model} if self.demo_model else {}), train=train)

    def feed_config(self, model: str | None, data: str, *, batch_size: int, seed: int):
        """The config `zoo benchmark --pipeline` measures the input of."""
        from keras_zoo.applications.common.training import TrainConfig

        return self.config_class(data=data, train=TrainConfig(batch_size=batch_size, seed=seed),
                                 **({"model": model} if model else {}))

    def candidate_config(self, config, name: str):
        """The config that trains the search's candidate `name` (by default, the registry model of that name)."""
        return dataclasses.replace(config, model=name, candidates=())

    def validation_baselines(self, config, setup: Setup) -> dict[str, dict]:
        """The classical baselines trained on the training split and scored on the validation split,
        beside a model search's candidates (`search`); {} where the domain does not compare them."""
        return {}

    # -- the run --------------------------------------------------------------------------------

    def train_and_evaluate(self, config, output_dir: Path, *, verbose: bool = True) -> dict:
        """The whole run; returns the `metrics.json` record. `output_dir` comes from `prepare_output_dir`.

        With `config.candidates` (a run on the user's data without `--model`) the model is chosen
        first: each candidate trains and is scored on the validation split (`search`), and the best
        one is the run's model, then scored on the test split as a single model's run is.
        """
        from keras_zoo.applications.common import report, training

        say = report.print_if(verbose)
        output_dir = Path(output_dir)
        if getattr(config, "candidates", ()):
            config, setup, model, fit, search = self.search(config, output_dir, say)
        else:
            training.set_seed(config.train.seed)
            self.check_model(config.model)
            setup = self.prepare(config)
            say(self.data_line(setup))
            model, fit = self._train(config, setup, self.build(config, setup), output_dir, say, verbose)
            search = None
        n = setup.counts["train"]
        say(f"Trained {fit.epochs_run} epochs in {fit.train_s:.1f} s ({fit.examples_per_s:.0f} {self.unit}/s)"
            + (f"; each epoch went {setup.n_train // n} times through the {n} training {self.unit}"
               if setup.n_train > n else ""))
        run = self._score(config, setup, self.saved_model(model, setup), fit)
        if search is not None:
            search["chosen_test_accuracy"] = run.metrics["accuracy"]
        self._write(run, output_dir, **({"search": search} if search is not None else {}))
        say(f"Test accuracy {run.metrics['accuracy']:.4f} (macro-F1 {run.metrics['macro_f1']:.4f}"
            + self._subset_note(run.metrics, ", {} subset {:.4f}") + "); "
            + ", ".join(f"{name} {r['accuracy']:.4f}" for name, r in run.baselines.items()))
        return report.read_metrics(output_dir)

    def _train(self, config, setup: Setup, built, output_dir: Path, say, verbose):
        """`(model, fit)`: `built`, the `(model, net)` of `build`, trained and early-stopped on the validation
        split (the caller seeded before `prepare`, so that a run draws the same numbers whether it searched
        or not)."""
        from keras_zoo.applications.common import training

        model, net = built
        say(self.model_line(config, setup, net))
        fit = training.fit(model, setup.train, setup.val, config.train, output_dir, loss=LOSS, metrics=["accuracy"],
                           steps_per_epoch=setup.steps_per_epoch, n_train=setup.n_train,
                           verbose="auto" if verbose else 0)
        return model, fit

    def search(self, config, output_dir: Path, say):
        """Choose the run's model on the validation split: `(config, setup, model, fit, record)`.

        Each of `config.candidates`, in order, is prepared, trained (early-stopped on the
        validation split, as any run) and scored by its accuracy on the validation split; the test
        split takes no part. The most accurate is kept (the earlier of a tie: a domain lists its
        candidates in its order of preference). A candidate after the first that does not fit the
        data (a ValueError while preparing or building it) is skipped, with the reason. Once `config.time_budget` seconds have gone, the candidates left are not
        trained, and the record says so. The baselines are scored on the same validation split
        (`validation_baselines`), so that the record shows whether a classical method beat every
        network before the test split was looked at. Each candidate trains in its own folder under
        `<output>/candidates/`; the chosen one's checkpoints become the run's, the rest are deleted.

        Raises:
            ValueError: the data leaves no validation split to choose on.
        """
        import shutil

        from keras_zoo.applications.common import training

        start, budget = time.perf_counter(), float(config.time_budget)
        rows, best = [], None
        for name in config.candidates:
            spent = time.perf_counter() - start
            if best is not None and spent >= budget:
                rows.append({"model": name, "skipped": f"the time budget ({budget:g} s) was spent"})
                continue
            trial = self.candidate_config(config, name)
            self.check_model(trial.model)
            training.set_seed(trial.train.seed)  # each candidate starts where a run of it alone would
            try:
                setup = self.prepare(trial)
                built = self.build(trial, setup)
            except ValueError as error:  # the first candidate's errors are the data's: those stop the run
                if best is None:
                    raise
                rows.append({"model": name, "skipped": f"it does not fit this data: {error}"})
                say(f"  candidate {name}: skipped, it does not fit this data: {error}")
                continue
            if not setup.counts["val"]:
                raise ValueError(f"Choosing a model needs a validation split, and {setup.data.source} leaves none "
                                 f"({setup.counts['train']} training {self.unit}): give more data, or name one "
                                 "model with --model.")
            if best is None:
                say(self.data_line(setup))
            model, fit = self._train(trial, setup, built, output_dir / "candidates" / name, say, verbose=False)
            val = float(model.evaluate(setup.val, verbose=0, return_dict=True)["accuracy"])
            rows.append({"model": name, "val_accuracy": val, "epochs_run": fit.epochs_run, "train_s": fit.train_s})
            say(f"  candidate {name}: validation accuracy {val:.4f} ({fit.epochs_run} epochs, {fit.train_s:.1f} s)")
            if best is None or val > best[0]:
                best = (val, name, trial, setup, model, fit)
        val, chosen_name, config, setup, model, fit = best
        baselines = self.validation_baselines(config, setup)
        record = {"candidates": rows, "baselines_val": baselines, "chosen": chosen_name,
                  "time_budget_s": budget, "search_s": time.perf_counter() - start,
                  "why": f"{chosen_name} had the highest validation accuracy ({val:.4f}) of the "
                         f"{sum('val_accuracy' in r for r in rows)} candidates trained; the test split took no part"}
        beaten = {n: b["accuracy"] for n, b in baselines.items() if b["accuracy"] > val}
        if beaten:
            record["why"] += (f". On validation the baseline {max(beaten, key=beaten.get)} scored higher "
                              f"({max(beaten.values()):.4f}) than every network")
        say(f"Chose {chosen_name}: {record['why']}.")
        kept = output_dir / "candidates" / chosen_name / training.CHECKPOINT_DIR  # a solved candidate has none
        if kept.exists():
            shutil.rmtree(output_dir / training.CHECKPOINT_DIR, ignore_errors=True)
            kept.rename(output_dir / training.CHECKPOINT_DIR)
        shutil.rmtree(output_dir / "candidates", ignore_errors=True)
        return config, setup, model, fit, record

    def _score(self, config, setup: Setup, model, fit) -> "FinishedRun":
        """The trained model and the baselines on the held-out test split."""
        test = self.test_split(setup)
        probs = self.probabilities(model, test.inputs, len(setup.class_names))
        metrics, per_class, matrix = scores(test.labels, probs, setup.class_names, test.masks)
        metrics.update(self.extra_metrics(setup, per_class))
        baselines = self.baselines(config, setup, test, probs)
        return FinishedRun(self, config, setup, test, model, fit, probs, metrics, per_class, matrix, baselines)

    def _write(self, run: "FinishedRun", output_dir: Path, **extra) -> None:
        """`model.keras`, `history.csv`, the plots and `metrics.json`."""
        from keras_zoo.applications.common import plotting, report
        from keras_zoo.applications.common.runs import save_model

        save_model(run.model, output_dir)
        report.write_history_csv(output_dir, run.fit.history)
        plot_paths = [plotting.plot_history(run.fit.history, output_dir),
                      plotting.plot_confusion_matrix(run.matrix, run.setup.class_names, output_dir),
                      *self.plots(run, output_dir)]
        config, setup, data = run.config, run.setup, run.setup.data
        report.write_metrics(
            output_dir, domain=self.domain, model=config.model, pretrained=_pretrained(config),
            data={"source": data.source, **setup.counts, "classes": list(setup.class_names), "skipped": data.skipped,
                  **self.data_record(setup, run.test)}, metrics=run.metrics, baselines=run.baselines,
            timing={"train_s": run.fit.train_s, "train_examples_per_s": run.fit.examples_per_s},
            **self.record_extra(config, setup), per_class=run.per_class, confusion_matrix=run.matrix,
            epochs_run=run.fit.epochs_run, config=dataclasses.asdict(config), seed=config.train.seed, **extra,
            plots=[str(p.relative_to(output_dir)) for p in plot_paths])

    def _subset_note(self, metrics: dict, template: str) -> str:
        value = metrics.get(f"accuracy_{self.reported_subset}") if self.reported_subset else None
        return "" if value is None else template.format(self.reported_subset, value)

    # -- a finished run -------------------------------------------------------------------------

    def load_run(self, model_dir: str | Path):
        """A finished run's model and metrics record; a clear error for a folder that is not one."""
        from keras_zoo.applications.common.runs import load_run

        return load_run(model_dir, self.domain)

    def evaluate(self, model_dir: str | Path, data: str, *, seed: int | None = None, verbose: bool = True) -> dict:
        """Accuracy, macro-F1 and per-class scores of a finished run on `data`.

        For `sample` and `tfds:` sources that is their test split, split with the run's own seed
        (or `seed`), so that it is the test split the run reported on; a folder or file is used whole.
        """
        from keras_zoo.applications.common.runs import run_seed

        model, record = self.load_run(model_dir)
        return self._score_data(model, record, data, run_seed(record) if seed is None else seed, verbose)

    def validate(self, checkpoint: str, data: str, *, seed: int = 0, verbose: bool = True) -> dict:
        """A checkpoint's card re-measured on `data` (timm's validate.py): its network behind the
        input its card records, scored as `evaluate` scores a run; `"card"` holds the card's metrics."""
        import keras_zoo as zoo
        from keras_zoo import checkpoints

        ckpt = checkpoints.find(checkpoint)
        model, record = self.checkpoint_run(zoo.create_model(ckpt.model, pretrained=str(ckpt.path)), ckpt)
        result = self._score_data(model, record, data, seed, verbose)
        card = ckpt.card.get("metrics", {})
        if verbose and isinstance(card.get("accuracy"), (int, float)):
            print(f"{ckpt.name}'s card: accuracy {card['accuracy']:.4f} on {ckpt.card['data'].get('source', '?')}; "
                  f"measured minus card {result['metrics']['accuracy'] - card['accuracy']:+.4f}")
        return {**result, "checkpoint": ckpt.name, "card": card}

    def checkpoint_run(self, net, ckpt):
        """`(model, record)`: the network of `ckpt` (a `checkpoints.Checkpoint`) behind the input its card
        records, and the `metrics.json`-like record that `read_test` reads, as for a finished run."""
        raise NotImplementedError  # defined where the pipeline exports `validate`; Domain.validate refuses the rest

    def _score_data(self, model, record: dict, data: str, seed: int, verbose: bool) -> dict:
        from keras_zoo.applications.common.sources import parse_source

        class_names = tuple(record["data"]["classes"])
        test = self.read_test(parse_source(data), record, seed)
        probs = self.probabilities(model, test.inputs, len(class_names))
        metrics, per_class, matrix = scores(test.labels, probs, class_names, test.masks)
        n = int(len(test.labels))
        if verbose:
            print(f"{data}: accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on {n} {self.unit}"
                  + self._subset_note(metrics, "; {} subset {:.4f}")
                  + (f"; {len(test.skipped)} unreadable files skipped" if test.skipped else ""))
        return {"data": data, "test": n, "metrics": metrics, "per_class": per_class, "confusion_matrix": matrix,
                "skipped": test.skipped}

    def predict(self, model_dir: str | Path, inputs: list[str], *, top: int | None = None) -> list[dict]:
        """The likeliest classes of each input: `{"input", "label", "probability", "top": [(label, p), ...]}`."""
        if not inputs:
            raise ValueError(self.no_inputs)
        model, record = self.load_run(model_dir)
        class_names = record["data"]["classes"]
        probs = self.probabilities(model, self.read_inputs(list(inputs), record), len(class_names))
        results = []
        for given, p in zip(inputs, probs):
            order = np.argsort(p)[::-1][:top or self.top]
            results.append({"input": str(given), "label": class_names[order[0]], "probability": float(p[order[0]]),
                            "top": [(class_names[i], float(p[i])) for i in order]})
        return results

    def demo(self, output_dir: Path, *, seed: int = 0) -> dict:
        """The offline demo: `demo_config` trained on the embedded sample, against the baselines."""
        start = time.perf_counter()
        record = self.train_and_evaluate(self.demo_config(seed), output_dir)
        record["timing"]["total_s"] = time.perf_counter() - start
        return record

    # -- zoo tune, zoo benchmark --pipeline -----------------------------------------------------

    def tune_data(self, model: str, data: str, *, seed: int, batch_size: int, max_examples: int | None = None):
        """The splits as `zoo train` makes them, for `zoo tune`: an `applications.tune.TuneData`."""
        from keras_zoo.applications.common.training import TrainConfig
        from keras_zoo.applications.tune import TuneData, need_validation

        config = self.config_class(model=model, data=data, max_examples=max_examples,
                                   train=TrainConfig(seed=seed, batch_size=batch_size))
        setup = self.prepare(config, tuning=True)
        need_validation(setup.counts)
        return TuneData(train=setup.train, val=setup.val, test=setup.test, num_classes=len(setup.class_names),
                        input_shape=tuple(setup.input_shape), counts=dict(setup.counts), classification=True,
                        wrap=setup.wrap, fixed=dict(setup.fixed),
                        info={"source": setup.data.source or data, **setup.counts, "classes": list(setup.class_names),
                              **setup.info})

    def input_feed(self, model: str | None, data: str, *, batch_size: int, seed: int):
        """`(model name, model, training batches)` as `zoo train` makes them."""
        config = self.feed_config(model, data, batch_size=batch_size, seed=seed)
        self.check_model(config.model)
        setup = self.prepare(config)
        return config.model, self.build(config, setup)[0], setup.train


@dataclass
class FinishedRun:
    """A trained model scored on the test split beside the baselines: what the run's files show."""

    classifier: Classifier
    config: Any
    setup: Setup
    test: TestSplit
    model: Any  # the saved model (raw inputs in)
    fit: Any  # `training.FitResult`
    probs: np.ndarray
    metrics: dict
    per_class: dict
    matrix: list
    baselines: dict

    def accuracy_bars(self, output_dir: Path) -> Path:
        """The model's test accuracy beside each baseline's, as bars (`model_vs_baseline.png`)."""
        from keras_zoo.applications.common import plotting

        values = {self.config.model: self.metrics["accuracy"], **{n: r["accuracy"] for n, r in self.baselines.items()}}
        return plotting.plot_bars(values, output_dir, "model_vs_baseline", title="Test accuracy", ylabel="accuracy")


def scores(y_true, probs, class_names, masks: dict | None = None) -> tuple[dict, dict, list]:
    """`classification_metrics`, with the accuracy of each masked subset (`accuracy_<name>`)."""
    from keras_zoo.applications.common.evaluation import classification_metrics, subset_accuracies

    metrics, per_class, matrix = classification_metrics(y_true, probs, class_names)
    if masks:
        metrics.update(subset_accuracies(y_true, np.argmax(probs, axis=-1), masks))
    return metrics, per_class, matrix


def create_network(config, input_shape, num_classes: int, **fixed):
    """The registry network of `config.model`, from `config.pretrained` (backbone frozen when asked)."""
    import keras_zoo as zoo

    kwargs = dict(num_classes=num_classes, input_shape=tuple(input_shape), **getattr(config, "overrides", {}), **fixed)
    if _pretrained(config):
        kwargs["pretrained"] = config.pretrained
    net = zoo.create_model(config.model, **kwargs)
    if getattr(config, "freeze_backbone", False):
        import keras_zoo.transfer

        zoo.transfer.freeze_backbone(net)
    return net


def check_classes(found, expected, word: str = "classes") -> None:
    """The data's classes must be the model's, in the same order."""
    if tuple(found) != tuple(expected):
        raise ValueError(f"The data's {word} {list(found)} are not the model's {list(expected)}.")


def dataset_to_numpy(ds, limit: int | None = None):
    """An unbatched `tf.data.Dataset` of `(x, y)` as two numpy arrays (the first `limit` examples)."""
    x_spec, y_spec = ds.element_spec
    batches = list((ds if limit is None else ds.take(limit)).batch(1024).as_numpy_iterator())
    if not batches:
        return (np.zeros((0, *x_spec.shape), dtype=x_spec.dtype.as_numpy_dtype),
                np.zeros((0, *y_spec.shape), dtype=y_spec.dtype.as_numpy_dtype))
    return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches])


def _pretrained(config):
    return getattr(config, "pretrained", None)
