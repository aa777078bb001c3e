"""The `zoo` command line.

    zoo list [PATTERN] [--family F] [--domain D] [--pretrained]
    zoo info NAME
    zoo train DOMAIN [--model NAME] [--data SRC] [--test-data SRC] [--epochs N] [--batch-size N|full]
                     [--optimizer O] [--learning-rate LR] [--schedule S] [--warmup-epochs N]
                     [--pretrained TAG|PATH|URL] [--freeze-backbone] [--output DIR] [--seed N]
                     [--strategy default|mirrored|multi-worker] [--cpu-replicas N] [--tensorboard]
                     nlp, vision: [--time-budget SECONDS] (without --model, on your data: the model is
                                  chosen among candidates on the validation split)
                     nlp: [--embeddings PATH] [--freeze-embeddings] [--max-tokens N] [--sequence-length N]
                     speech: [--features log_mel|mfcc] [--augment auto|light|none|full]
                             [--group-by speaker [--speaker-regex REGEX] [--test-speaker NAME...]]
                     recommendation: [--items CSV] [--loss L] [--negatives N] [--ratings auto|yes|no] [--compare NAME...]
                     finance: [--target return|direction|volatility ...] [--window N] [--horizon N]
                              [--walk-forward N] [--cost-bps X]
    zoo evaluate DOMAIN --model-dir DIR --data SRC
    zoo predict DOMAIN --model-dir DIR INPUT...       (image files; for nlp, texts; for speech, .wav files)
    zoo predict recommendation --model-dir DIR --user ID [--user ID...] [--top N]
    zoo predict finance --model-dir DIR --data CSV    (the next period's forecast from the latest window)
    zoo demo [DOMAIN|all] [--output DIR]
    zoo tune DOMAIN --model NAME --max-trials N [--tuner random|hyperband|bayesian] [--data SRC] [--epochs N]
    zoo export --model-dir DIR --format saved_model|tflite|keras [--output PATH] [--overwrite]
    zoo benchmark [PATTERN...] [--input-shape N...] [--batch-size N] [--steps N] [--repeats N]
                  [--xla on|off|both] [--reference [keras|torch]] [--csv PATH]
    zoo benchmark --pipeline vision|speech|nlp [--data SRC] [--model NAME] [--batch-size N] [--steps N]

`list` and `info` never import TensorFlow, so they answer at once. Every command takes `--verbose`
(or `ZOO_VERBOSE=1`): without it TensorFlow's log lines are kept off the terminal (`common/quiet.py`).
"""

from __future__ import annotations

import argparse
import os
import sys

from keras_zoo import registry
from keras_zoo.applications import extras
from keras_zoo.applications.common import quiet


def _format_params(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}K"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    names = registry.list_models(args.pattern, family=args.family, domain=args.domain, pretrained=args.pretrained)
    if args.pretrained:
        from keras_zoo import checkpoints

        by_name = {c.name: c for c in checkpoints.available()}  # each with its first (headline) metric
        rows = [[n, by_name[n].model, next((f"{k}={v:.4f}" for k, v in by_name[n].metrics.items()), "-")]
                for n in names]
        print(_table(rows, ["checkpoint", "model", "metric (held-out)"]) if rows else "No checkpoints match.")
        return 0
    rows = [[n, e.family.name, ",".join(e.domains), registry.format_shape(e.input_shape), _format_params(e.params)]
            for n, e in zip(names, map(registry.get_entry, names))]
    if not rows:
        print(f"No models match {args.pattern!r}. `zoo list` shows them all.")
        return 0
    print(_table(rows, ["name", "family", "domains", "input", "params"]))
    print(f"\n{len(rows)} models. `zoo info NAME` shows one.")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    print(registry.model_info(args.name))
    return 0


# The training recipe a domain uses unless its pipeline has its own (`DEFAULT_TRAIN`) or a flag says otherwise.
TRAIN_DEFAULTS = dict(epochs=20, batch_size=32, optimizer="adam", learning_rate=1e-3, schedule="constant",
                      warmup_epochs=0, weight_decay=0.0, patience=5)


def _train_config(args: argparse.Namespace, domain_defaults: dict | None = None):
    from keras_zoo.applications.common.training import TrainConfig

    given = {k: getattr(args, k) for k in TRAIN_DEFAULTS if getattr(args, k, None) is not None}
    if given.get("batch_size", "full") != "full":
        given["batch_size"] = _positive_int("--batch-size", given["batch_size"])
    recipe = {**TRAIN_DEFAULTS, **(domain_defaults or {}), **given}
    recipe["patience"] = recipe["patience"] or None  # 0 turns early stopping off
    return TrainConfig(**recipe, seed=args.seed, tensorboard=bool(getattr(args, "tensorboard", False)))


def _positive_int(flag: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{flag} takes a positive integer or 'full'. Received: {flag} {text}")
    return value


def cmd_train(args: argparse.Namespace) -> int:
    import dataclasses

    from keras_zoo.applications.common import distribute

    # First thing: splitting the CPU into logical devices and starting a worker's server are
    # possible only before TensorFlow has run anything.
    strategy = distribute.make_strategy(args.strategy, cpu_replicas=args.cpu_replicas)
    from keras_zoo.applications import domains
    from keras_zoo.applications.common import report

    domain = domains.get(args.domain)
    for other in domains.every():  # an option of one domain given to another
        other.refuse_flags(args, args.domain)
    if args.time_budget is not None and not domain.searches:
        searching = " and ".join(sorted(d.name for d in domains.every() if d.searches))
        raise ValueError(f"--time-budget bounds the choice of a model, which only {searching} runs make; "
                         f"{args.domain} trains --model (or its default).")
    train = _train_config(args, domain.default_train)
    replicas = strategy.num_replicas_in_sync
    if args.strategy != "default":  # --batch-size is per replica; each step trains on the global batch
        per_replica = train.batch_size
        train = dataclasses.replace(train, batch_size=distribute.global_batch_size(per_replica, replicas))
        batch = ("'full' (the whole training set in one batch, split over the replicas)" if per_replica == "full"
                 else f"{per_replica} per replica, {train.batch_size} global")
        print(f"Strategy {args.strategy}: {distribute.describe(strategy)}; batch {batch}", flush=True)
    config = domain.config_from_args(args, train)
    chief = distribute.is_chief() if args.strategy == "multi-worker" else True
    resuming = args.output is not None and report.is_interrupted(os.path.expanduser(args.output))
    if chief:
        if args.strategy == "multi-worker" and args.output and os.path.isdir(os.path.join(
                os.path.expanduser(args.output), report.BACKUP_DIR)):
            # The other workers' backups were in folders removed at their end: they would start
            # again from epoch 1 while the chief resumes, and the collectives would no longer match.
            raise ValueError(f"{args.output} holds an interrupted run; a multi-worker run cannot resume, as the "
                             f"other workers kept no backup. Start it again with a new --output.")
        output = report.prepare_output_dir(args.output, args.domain)
        print(f"{'Resuming the interrupted run in' if resuming else 'Writing to'} {output}", flush=True)
    else:  # the chief writes the run; this worker's files go to a folder of its own, removed at the end
        output = distribute.worker_output_dir(args.domain)
        print(f"{distribute.task_name()}: the chief writes the run; this worker writes to {output} "
              f"(removed at the end)", flush=True)
    try:
        with strategy.scope():
            record = domain.train_and_evaluate(config, output)
    except BaseException as err:
        # A failed first attempt leaves nothing behind, unless a completed epoch lets the same
        # command resume it; an interrupted run found on disk is never touched.
        kept = chief and not resuming and not report.discard_failed_run(output) and output.is_dir()
        if kept and not _is_nan_loss(err):  # (that message says what to do with the folder)
            err.add_note(f"The completed epochs are kept in {output}: run the same command again to resume.")
        raise
    finally:
        if not chief:
            distribute.remove_worker_output(output)
    if chief:
        _print_summary(record, output, domain)
    else:
        print(f"{distribute.task_name()} done; the chief wrote the run.")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from keras_zoo.applications import domains

    domains.get(args.domain).evaluate(args.model_dir, args.data)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from keras_zoo.applications import domains

    domains.get(args.domain).validate(args.checkpoint, args.data)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from keras_zoo.applications import domains

    domain = domains.get(args.domain)
    for other in domains.every():  # an option of one domain given to another
        other.refuse_flags(args, args.domain, "predict")
    inputs, options = domain.predict_request(args)
    for result in domain.predict(args.model_dir, inputs, **options):
        for line in domain.format_prediction(result):
            print(line)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from keras_zoo.applications import domains
    from keras_zoo.applications.common.report import prepare_output_dir

    names = domains.built() if args.domain == "all" else [args.domain]
    root = Path(args.output) if args.output else prepare_output_dir(None, "demo", run=False)
    for name in names:
        output = prepare_output_dir(root / name, name)
        print(f"== {name} demo, writing to {output}", flush=True)
        domain = domains.get(name)
        _print_summary(domain.demo(output, seed=args.seed), output, domain)
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    if args.pipeline:
        return _benchmark_pipeline(args)
    for flag, value in (("--data", args.data), ("--model", args.model)):
        if value is not None:
            raise ValueError(f"{flag} is for `zoo benchmark --pipeline DOMAIN`. Received: {flag} {value}")
    names = sorted({n for pattern in args.patterns or ["resnet20"] for n in registry.list_models(pattern)})
    if not names:
        raise ValueError(f"No registry model matches {' '.join(args.patterns)}; `zoo list` shows them all.")
    from keras_zoo import benchmark

    xla = {"off": (False,), "on": (True,), "both": (False, True)}[args.xla]
    rows = benchmark.benchmark(names, input_shape=tuple(args.input_shape) if args.input_shape else None,
                               num_classes=args.num_classes, batch_size=args.batch_size, steps=args.steps,
                               repeats=args.repeats, xla=xla, precisions=args.precision, reference=args.reference)
    print(f"\n{benchmark.format_table(rows)}")
    if args.csv:
        print(f"\nWrote {benchmark.write_csv(rows, args.csv)}")
    return 0


def _benchmark_pipeline(args: argparse.Namespace) -> int:
    from keras_zoo.applications import input_benchmark

    if args.patterns:
        raise ValueError(f"--pipeline measures the domain's own model (--model NAME), not PATTERNs. "
                         f"Received: {' '.join(args.patterns)}")
    if args.precision:
        raise ValueError(f"--precision is for model benchmarks (zoo benchmark PATTERN); --pipeline trains in "
                         f"float32. Received: --precision {' '.join(args.precision)}")
    row = input_benchmark.measure(args.pipeline, model=args.model, data=args.data or "sample",
                                  batch_size=args.batch_size, steps=args.steps, repeats=args.repeats)
    print(f"\n{input_benchmark.format_table([row])}")
    if args.csv:
        from keras_zoo import benchmark

        print(f"\nWrote {benchmark.write_csv([row], args.csv)}")
    return 0


def _print_summary(record: dict, output, domain) -> None:
    header, rows, notes = domain.summary(record)
    print(f"\n{_table(rows, header)}")
    for sentence in notes:
        print(f"  {sentence}")
    print(f"\n{record['data']['test']} held-out test {domain.test_unit}. Files in {output}:")
    for name in ("metrics.json", "model.keras", "history.csv", *record.get("plots", [])):
        print(f"  {output / name}")


def build_parser() -> argparse.ArgumentParser:
    """The `zoo` parser: each command's options come from its `_add_*` function (and domains' groups)."""
    parser = argparse.ArgumentParser(prog="zoo", description="A Keras 3 model zoo: list, inspect and build models by name.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_list_and_info(sub)
    _add_train(sub)
    _add_run_commands(sub)
    _add_benchmark(sub)
    from keras_zoo.applications import export, tune

    export.add_parser(sub)
    tune.add_parser(sub)
    # A global flag, before or after the command (`main` reads it before parsing: quiet.verbose_requested).
    for command in (parser, *sub.choices.values()):
        command.add_argument("--verbose", action="store_true", default=False if command is parser else argparse.SUPPRESS,
                             help=f"show TensorFlow's log lines and the libraries' warnings (or set {quiet.VERBOSE_ENV}=1)")
    return parser


def _add_list_and_info(sub) -> None:
    p = sub.add_parser("list", help="list registered models (or checkpoints)")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard, e.g. 'resnet*'")
    p.add_argument("--family", help="only this family (mlp, cnn, resnet, rnn, textcnn, transformer, kws, keras, mf, ncf, two_tower, sasrec, tcn)")
    p.add_argument("--domain", help=f"only models for this domain ({', '.join(registry.DOMAINS)})")
    p.add_argument("--pretrained", action="store_true", help="list checkpoints (model.tag) instead")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="show a model's card")
    p.add_argument("name")
    p.set_defaults(func=cmd_info)


def _add_train(sub) -> None:
    from keras_zoo.applications.common.distribute import STRATEGIES  # neither imports TensorFlow: `zoo list` must stay instant
    from keras_zoo.applications.domains import built, every

    p = sub.add_parser("train", help="train and evaluate a model on a domain's data")
    p.add_argument("domain", choices=built())
    p.add_argument("--model", help="a registry name (`zoo list --domain DOMAIN`); each domain has a default")
    p.add_argument("--data", default="sample", help="sample | tfds:NAME[/CONFIG] | a folder | a CSV file")
    p.add_argument("--test-data", help="held-out data with the same classes, used as the test split")
    p.add_argument("--epochs", type=int, help="default: the domain's recipe (20; nlp 20 with patience 3)")
    p.add_argument("--batch-size", help="a positive integer (default 32), or 'full' for batch gradient descent")
    p.add_argument("--optimizer", help="sgd (momentum 0.9), adam (default), adamw or rmsprop")
    p.add_argument("--learning-rate", type=float, help="default 1e-3")
    p.add_argument("--schedule", help="constant (default), step (x0.1 at 50%% and 75%%), or cosine")
    p.add_argument("--warmup-epochs", type=int)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--patience", type=int, help="early stopping patience in epochs (default 5; nlp and recommendation 3); 0 turns it off")
    p.add_argument("--pretrained", help="a checkpoint of --model to fine-tune: a tag, a folder or a URL")
    p.add_argument("--freeze-backbone", action="store_true", help="with --pretrained: train the head only")
    p.add_argument("--output", help="the run's folder (default: a new folder under runs/)")
    p.add_argument("--tensorboard", action="store_true", help="also write TensorBoard logs (loss, metrics and "
                   "learning rate per epoch) into the run's tensorboard/ folder: tensorboard --logdir OUTPUT")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategy", choices=STRATEGIES, default="default", help="tf.distribute: default (one device), "
                   "mirrored (every local GPU; without one, --cpu-replicas logical CPUs), multi-worker (the machines "
                   "of TF_CONFIG; run the same command on each, the chief writes the run). --batch-size is then per "
                   "replica: each step trains on it times the replicas (the learning rate is not scaled)")
    p.add_argument("--cpu-replicas", type=int, metavar="N", help="--strategy mirrored on a machine without a "
                   "GPU: split the CPU into N logical devices, one replica each (default 2)")
    p.add_argument("--augment", choices=("auto", "light", "none", "full"), default="auto",
                   help="training augmentation: auto (what measured best for the data), light, none; speech "
                        "also full (adds speed perturbation and SpecAugment to light's time shift and noise)")
    p.add_argument("--time-budget", type=float, metavar="SECONDS", help="nlp and vision, without --model on your "
                   "own data: the run chooses its model among candidates on the validation split; no new candidate "
                   "starts after this many seconds (default 600)")
    p.add_argument("--max-examples", type=int, help="cap each split (quick runs)")
    for domain in every():
        domain.add_arguments(p)
    p.set_defaults(func=cmd_train)


def _add_run_commands(sub) -> None:
    """`zoo evaluate`, `zoo predict` and `zoo demo`: what works on a finished run, and the demos."""
    from keras_zoo.applications.domains import built, every

    p = sub.add_parser("evaluate", help="measure a trained run on data")
    p.add_argument("domain", choices=built())
    p.add_argument("--model-dir", required=True, help="the folder of a finished `zoo train` run")
    p.add_argument("--data", required=True)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("validate", help="re-measure a checkpoint's card on data (vision, speech, nlp)")
    p.add_argument("domain", choices=built())
    p.add_argument("checkpoint", help="a <model>.<tag> name (zoo list --pretrained), a checkpoint folder or URL")
    p.add_argument("--data", required=True, help="sample, tfds:NAME (their test split), or a folder used whole")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("predict", help="label new inputs with a trained run")
    p.add_argument("domain", choices=built())
    p.add_argument("--model-dir", required=True, help="the folder of a finished `zoo train` run")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="image files (vision), texts (nlp), .wav files (speech)")
    for domain in every():
        domain.add_predict_arguments(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("demo", help="run a domain's offline demo (all: every domain built)")
    p.add_argument("domain", nargs="?", default="all", choices=["all", *built()])
    p.add_argument("--output", help="a folder for the runs, one subfolder per domain (default: under runs/)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo)


def _add_benchmark(sub) -> None:
    from keras_zoo.applications.domains import every

    p = sub.add_parser("benchmark", help="measure models' speed, FLOPs and memory here (tools/benchmark.py)")
    p.add_argument("patterns", nargs="*", default=[], metavar="PATTERN",
                   help="registry names or shell-style patterns (default resnet20)")
    p.add_argument("--input-shape", type=int, nargs="+", metavar="N", help="default: each model's own")
    p.add_argument("--num-classes", type=int, help="default: each model's own")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=5, help="batches in each timed run (default 5)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (default 3): throughput is the batch over the "
                   "median time of their steps (with --pipeline: the median epoch)")
    p.add_argument("--xla", choices=("off", "on", "both"), default="both", help="jit_compile (default both)")
    p.add_argument("--precision", nargs="+", choices=("float32", "mixed_float16", "mixed_bfloat16"), help="Keras "
                   "dtype policies to build the models with (default float32; on a GPU also mixed_float16)")
    p.add_argument("--reference", nargs="?", const="keras", choices=("keras", "torch"),
                   help="also run the model's twin, same settings, taking turns, and print the zoo/reference "
                   "throughput ratio: keras.applications' (plain --reference) or PyTorch's (--reference torch; "
                   'pip install "keras-zoo[torch]")')
    p.add_argument("--csv", metavar="PATH", help="also write every row to this CSV file")
    p.add_argument("--pipeline", choices=[d.name for d in every() if d.input_benchmarked],
                   help="instead: the domain's real training input pipeline against the same batches from memory")
    p.add_argument("--data", help="with --pipeline: the data source, as zoo train takes it (default sample)")
    p.add_argument("--model", help="with --pipeline: the model (default the domain's)")
    p.set_defaults(func=cmd_benchmark)


def main(argv: list[str] | None = None) -> int:
    # First, before anything loads TensorFlow: its log lines stay off the terminal unless the
    # command has --verbose or ZOO_VERBOSE=1 is set (applications/common/quiet.py).
    with quiet.quiet_tensorflow(quiet.verbose_requested(argv)):
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # `predict`'s INPUTs may be none (recommendation takes --user), so argparse matches them, empty,
    # before the options and leaves the inputs written after the options over: they are inputs.
    if extra and args.command == "predict" and not any(e.startswith("-") for e in extra):
        args.inputs = [*args.inputs, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    import keras_zoo as zoo  # noqa: F401  (registers the built-in families)

    try:
        extras.require(args.command, pipeline=bool(getattr(args, "pipeline", None)),  # before TensorFlow loads
                       reference=getattr(args, "reference", None))
        return args.func(args)
    except ValueError as err:  # a user's mistake (UnknownModelError too): one clear line, no traceback
        return _error_line(args.command, str(err), err)
    except RuntimeError as err:
        if not _is_nan_loss(err):
            raise
        return _error_line(args.command, str(err), err)
    except OSError as err:  # a full disk, a folder made read-only mid-run, a failing device
        return _error_line(args.command, _describe_os_error(err), err)


def _error_line(command: str, message: str, err: BaseException) -> int:
    """Print `zoo COMMAND: error: MESSAGE` (with the error's notes) on one line; the exit status, 2."""
    line = " ".join([message, *getattr(err, "__notes__", ())]).replace("\n", " ")
    print(f"zoo {command}: error: {line}", file=sys.stderr)
    return 2


def _is_nan_loss(err: BaseException) -> bool:
    # Only training raises it, and `list`/`info` never import the training loop (nor TensorFlow).
    training = sys.modules.get("keras_zoo.applications.common.training")
    return training is not None and isinstance(err, training.NaNLossError)


def _describe_os_error(err: OSError) -> str:
    """One line for a file-system failure: what failed, on which file, and what to do."""
    import errno

    where = f" ({err.filename})" if err.filename else ""
    what = err.strerror or str(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        advice = "Free some space (or raise the file-size limit) or choose another --output, then run the command again."
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = "Choose a folder you can write to (--output), or fix its permissions."
    else:
        advice = "Check the disk and the paths given, then run the command again."
    return f"Could not read or write a file{where}: {what}. {advice}"


if __name__ == "__main__":
    sys.exit(main())
