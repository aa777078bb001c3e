"""Every NLP model of the registry on one train/test pair, with the default recipe, beside the baselines.

    python tools/nlp_data.py polarity --output data/polarity
    python tools/nlp_models.py --data data/polarity/train.csv --test-data data/polarity/test.csv

    python tools/nlp_models.py --data data/sentence_polarity/train.csv \
        --test-data data/sentence_polarity/test.csv --models mlp_text --folds 10

This is how the NLP pipeline's default model was chosen (README, "NLP"): each model trains with
`zoo train nlp`'s recipe (`applications.nlp.pipeline.DEFAULT_TRAIN`) on the training file (with
its validation share for early stopping), once per seed, and is scored on the test file. Prints a
Markdown table (median over seeds) and writes every run's record to `--output/results.json`.
With `--folds K` it instead pools the training and test CSV files and runs stratified K-fold
cross-validation (seed 0), printing each model's mean and standard deviation over the folds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def measure(data: str, test_data: str | None, models: list[str], seeds: list[int], output: Path) -> list[dict]:
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.nlp.pipeline import DEFAULT_TRAIN, NLPConfig, train_and_evaluate

    runs = []
    for model in models:
        for seed in seeds:
            out = prepare_output_dir(output / f"{model}-seed{seed}", "nlp")
            config = NLPConfig(model=model, data=data, test_data=test_data,
                               train=TrainConfig(**{**DEFAULT_TRAIN, "seed": seed}))
            record = train_and_evaluate(config, out, verbose=False)
            runs.append({"model": model, "seed": seed, "metrics": record["metrics"],
                         "baselines": record["baselines"], "train_s": record["timing"]["train_s"],
                         "epochs_run": record["epochs_run"], "data": record["data"]})
            print(f"{model} seed {seed}: accuracy {record['metrics']['accuracy']:.4f}", flush=True)
    return runs


def table(runs: list[dict]) -> str:
    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def cell(value, digits=4):
        return "-" if value is None else f"{value:.{digits}f}"

    rows = []
    models = list(dict.fromkeys(r["model"] for r in runs))
    for model in models:
        mine = [r for r in runs if r["model"] == model]
        rows.append((model, *(median([r["metrics"].get(k) for r in mine]) for k in ("accuracy", "macro_f1",
                                                                                 "accuracy_negation")),
                     median([r["train_s"] for r in mine])))
    for name in runs[0]["baselines"]:
        rows.append((name, *(median([r["baselines"][name].get(k) for r in runs])
                             for k in ("accuracy", "macro_f1", "accuracy_negation", "train_s"))))
    lines = ["| model | test accuracy | macro-F1 | negation subset | train s |", "|---|---|---|---|---|"]
    lines += [f"| {m} | {cell(a)} | {cell(f)} | {cell(n)} | {cell(s, 1)} |" for m, a, f, n, s in rows]
    return "\n".join(lines)


def cross_validate(data: str, test_data: str | None, models: list[str], folds: int, output: Path) -> str:
    """Stratified K-fold cross-validation over the pooled CSV files; a Markdown table of the means."""
    import csv

    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from keras_zoo.files import atomic_path

    rows = []
    for path in filter(None, (data, test_data)):
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [c.strip().lower() for c in next(reader)]
            rows += [(row[header.index("text")], row[header.index("label")]) for row in reader if row]
    splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(rows, [label for _, label in rows])
    fold_files = []
    for k, (train, test) in enumerate(splits):
        pair = []
        for name, index in (("train", train), ("test", test)):
            path = output / "folds" / f"{name}{k}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["text", "label"])
                writer.writerows(rows[i] for i in index)
            pair.append(str(path))
        fold_files.append(pair)
    scores: dict[str, list[float]] = {}
    for k, (train, test) in enumerate(fold_files):
        for run in measure(train, test, models, [0], output / f"fold{k}"):
            scores.setdefault(run["model"], []).append(run["metrics"]["accuracy"])
            for name, result in run["baselines"].items():
                if len(scores.setdefault(name, [])) < k + 1:
                    scores[name].append(result["accuracy"])
    lines = [f"| model | mean accuracy over {folds} folds | standard deviation | folds below 0.78 |", "|---|---|---|---|"]
    lines += [f"| {name} | {np.mean(v):.4f} | {np.std(v):.4f} | {sum(a < 0.78 for a in v)} |" for name, v in scores.items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    import keras_zoo as zoo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="training data: a CSV, a folder, tfds:NAME or sample")
    parser.add_argument("--test-data", help="a CSV or folder of the same classes, used as the test split")
    parser.add_argument("--models", nargs="+", default=zoo.list_models(domain="nlp"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--output", default="runs/nlp_models")
    parser.add_argument("--folds", type=int, help="K-fold cross-validation over the pooled files instead")
    args = parser.parse_args(argv)
    output = Path(args.output)
    if args.folds:
        print(cross_validate(args.data, args.test_data, args.models, args.folds, output))
        return 0
    runs = measure(args.data, args.test_data, args.models, args.seeds, output)
    from keras_zoo.applications.common.report import write_json

    write_json(output / "results.json", runs)
    first = runs[0]["data"]
    print(f"\n{args.data}: {first['train']} train, {first['val']} validation, {first['test']} test texts; "
          f"median of seeds {args.seeds}\n")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
