"""Recommendation models of the registry on one data source, beside the baselines, on both protocols.

    python tools/recommendation_models.py --data sample --models mf neumf two_tower
    python tools/movielens_csv.py ml-100k/ --output data/ml-100k
    python tools/recommendation_models.py --data data/ml-100k/ratings.csv --models mf neumf --seeds 0 1 2

This is how the recommendation pipeline's default model and recipe were chosen and how the README's
MovieLens-100k numbers were measured: each model trains with `zoo train recommendation`'s recipe
(`applications.recommendation.pipeline.DEFAULT_TRAIN`, changed by the flags below) once per seed,
on the leave-one-out split of the data, and is scored on each user's held-out latest interaction:
among 99 sampled unseen items (HR@10, NDCG@10) and among all unseen items (recall@10/@50, NDCG@10);
with ratings, RMSE on a random 80/20 split. Prints a Markdown table (median over seeds; baselines
from the same runs) and writes every run's record to `--output/results.json`.
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLUMNS = (("leave_one_out", "hr@10"), ("leave_one_out", "ndcg@10"), ("full_ranking", "recall@10"),
           ("full_ranking", "recall@50"), ("full_ranking", "ndcg@10"), ("rating", "rmse"))


def measure(data: str, models: list[str], seeds: list[int], output: Path, *, items: str | None = None,
            loss: str = "auto", ratings: str = "auto", overrides: dict | None = None, pretrain_parts: bool = False,
            **recipe) -> list[dict]:
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.recommendation.pipeline import DEFAULT_TRAIN, RecommendationConfig, train_and_evaluate

    runs = []
    for model in models:
        for seed in seeds:
            tag = f"{model}-{loss}" + ("-pretrained_parts" if pretrain_parts else "") + f"-seed{seed}"
            out = prepare_output_dir(output / tag, "recommendation")
            config = RecommendationConfig(model=model, data=data, items=items, loss=loss, ratings=ratings,
                                          pretrain_parts=pretrain_parts,
                                          overrides=dict(overrides or {}),
                                          train=TrainConfig(**{**DEFAULT_TRAIN, **recipe, "seed": seed}))
            start = time.perf_counter()
            record = train_and_evaluate(config, out, verbose=False)
            total = time.perf_counter() - start
            runs.append({"model": model + (" (pretrained parts)" if pretrain_parts else ""), "seed": seed, "loss": loss,
                         "overrides": overrides or {}, "recipe": recipe,
                         "metrics": record["metrics"], "baselines": record["baselines"],
                         "train_s": record["timing"]["train_s"], "total_s": total, "epochs_run": record["epochs_run"],
                         "data": record["data"]})
            loo = record["metrics"]["leave_one_out"]
            print(f"{tag}: HR@10 {loo['hr@10']:.4f}, NDCG@10 {loo['ndcg@10']:.4f}, recall@50 "
                  f"{record['metrics']['full_ranking']['recall@50']:.4f}"
                  + (f", RMSE {record['metrics']['rating']['rmse']:.4f}" if "rating" in record["metrics"] else "")
                  + f"; {record['epochs_run']} epochs, run {total:.0f} s", flush=True)
    return runs


def _cell(values) -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):.4f}" if values else "-"


def table(runs: list[dict]) -> str:
    """Median over seeds of every model and baseline, one row each."""
    header = "| method | HR@10 | NDCG@10 | recall@10 (all) | recall@50 (all) | NDCG@10 (all) | RMSE | run s |"
    lines = [header, "|---" * (header.count("|") - 1) + "|"]

    def row(name, results, seconds):
        cells = [_cell([r.get(p, {}).get(k) for r in results]) for p, k in COLUMNS]
        return f"| {name} | " + " | ".join(cells) + f" | {seconds} |"

    for key in dict.fromkeys((r["model"], r["loss"]) for r in runs):
        mine = [r for r in runs if (r["model"], r["loss"]) == key]
        seconds = f"{statistics.median(r['total_s'] for r in mine):.0f}"
        lines.append(row(f"{key[0]} ({key[1]})", [r["metrics"] for r in mine], seconds))
    for name in runs[0]["baselines"] if runs else []:
        lines.append(row(name, [r["baselines"][name] for r in runs], "-"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="sample", help="sample, tfds:movielens/..., or a CSV of user_id,item_id[,rating][,timestamp]")
    parser.add_argument("--items", help="a CSV of item_id,title[,genres]")
    parser.add_argument("--models", nargs="+", default=["mf"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--loss", default="auto", choices=("auto", "bce", "softmax", "in_batch"))
    parser.add_argument("--ratings", default="auto", choices=("auto", "yes", "no"))
    parser.add_argument("--pretrain-parts", action="store_true", help="neumf: start from a trained GMF and NCF MLP")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="a model config override, e.g. embedding_dim=128 (repeatable)")
    parser.add_argument("--output", default="runs/recommendation_models")
    args = parser.parse_args(argv)
    recipe = {k: v for k, v in (("epochs", args.epochs), ("patience", args.patience),
                                ("learning_rate", args.learning_rate), ("batch_size", args.batch_size)) if v is not None}
    overrides = {}
    for text in args.override:
        key, _, value = text.partition("=")
        try:
            overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key] = value
    output = Path(args.output)
    runs = measure(args.data, args.models, args.seeds, output, items=args.items, loss=args.loss, ratings=args.ratings,
                   overrides=overrides, pretrain_parts=args.pretrain_parts, **recipe)
    print()
    print(table(runs))
    output.mkdir(parents=True, exist_ok=True)
    from keras_zoo.files import atomic_path

    with atomic_path(output / "results.json") as tmp:
        tmp.write_text(json.dumps(runs, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
