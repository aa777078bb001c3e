"""Transfer on real text: fine-tune the movie-review checkpoint on a few product-review sentences.

    python tools/nlp_data.py product-reviews --output data/product_reviews
    python tools/transfer_text.py --data data/product_reviews [--ks 10 50 200 all] [--seeds 0 1 2]

The source, `cnn_text.sentence_polarity` (tools/train_pretrained.py), learnt positive and negative
from movie-review sentences; the target is customer reviews of electronics (Hu and Liu's products,
rated by Hutto and Gilbert's raters): another corpus, another vocabulary ("battery", "zoom"). For
each k and seed, k sentences per class are drawn from the target's train.csv and given to
`zoo train nlp` three times, with its default training recipe (not tuned here): `cnn_text` from
scratch (its vocabulary from the k sentences), `--pretrained cnn_text.sentence_polarity
--freeze-backbone` (the checkpoint's vocabulary and layers, a new head trained alone) and
`--pretrained cnn_text.sentence_polarity` (everything fine-tuned). The runs' TF-IDF + logistic
regression and naive Bayes train on the same k sentences. `all` is every training sentence. All are scored on the target's test.csv, which no
model or choice here saw. Prints mean and standard deviation over the seeds.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

SOURCE = "cnn_text.sentence_polarity"
COLUMNS = ("scratch", "head_only", "fine_tuned", "tfidf_logreg", "naive_bayes")


def read_rows(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return [(row["text"], row["label"]) for row in csv.DictReader(f)]


def few_shot(rows: list[tuple[str, str]], k: int | None, seed: int) -> list[tuple[str, str]]:
    """k rows of each label, drawn with `seed` (every row when k is None)."""
    import numpy as np

    if k is None:
        return rows
    rng = np.random.default_rng(seed)
    chosen = []
    for label in sorted({label for _, label in rows}):
        of_label = [row for row in rows if row[1] == label]
        if len(of_label) < k:
            raise SystemExit(f"Label {label!r} has {len(of_label)} training texts, fewer than k={k}.")
        chosen += [of_label[i] for i in rng.choice(len(of_label), size=k, replace=False)]
    return chosen


def run(k: int | None, seed: int, *, data: Path, source: str, work: Path) -> dict:
    """Scratch, fine-tuned from `source`, and the two baselines on k sentences a class; test accuracies."""
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.nlp import pipeline
    from keras_zoo.applications.nlp.domain import DEFAULT_TRAIN

    train = work / f"k{k}-seed{seed}.csv"
    with open(train, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(few_shot(read_rows(data / "train.csv"), k, seed))
    result = {}
    for column, pretrained, frozen in (("scratch", None, False), ("head_only", source, True),
                                       ("fine_tuned", source, False)):
        config = pipeline.NLPConfig(model=source.split(".")[0], data=str(train), test_data=str(data / "test.csv"),
                                    pretrained=pretrained, freeze_backbone=frozen,
                                    train=TrainConfig(**{**DEFAULT_TRAIN, "seed": seed}))
        record = pipeline.train_and_evaluate(config, prepare_output_dir(work / f"{column}-k{k}-s{seed}", "nlp"),
                                             verbose=False)
        result[column] = record["metrics"]["accuracy"]
        for name, scores in record["baselines"].items():  # the same k sentences for both runs
            result[name] = scores["accuracy"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "product_reviews",
                        help="a folder with train.csv and test.csv (text,label)")
    parser.add_argument("--source", default=SOURCE, help="the text checkpoint to fine-tune (<model>.<tag>)")
    parser.add_argument("--ks", nargs="+", default=["10", "50", "200", "all"],
                        help="training sentences per class (all: every one)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in ("train.csv", "test.csv"):
        if not (args.data / name).is_file():
            parser.error(f"{args.data / name} is missing: make it with python tools/nlp_data.py product-reviews "
                         f"--output {args.data}")
    print(f"Source: {args.source}. Target: {args.data} ({len(read_rows(args.data / 'test.csv'))} held-out test "
          f"sentences); seeds {args.seeds}; zoo train nlp's default recipe.")
    start, results = time.perf_counter(), {}
    with tempfile.TemporaryDirectory() as work:
        for k in args.ks:
            results[k] = [run(None if k == "all" else int(k), seed, data=args.data, source=args.source, work=Path(work)) for seed in args.seeds]
    print(f"\nTest accuracy, mean ± standard deviation over {len(args.seeds)} seeds "
          f"({time.perf_counter() - start:.0f} s in all):\n")
    print("| k per class | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for k, rows in results.items():
        cells = []
        for column in COLUMNS:
            values = [row[column] for row in rows]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.3f} ± {spread:.3f}")
        print(f"| {k} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
