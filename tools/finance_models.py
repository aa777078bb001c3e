"""Finance models of the registry on one price series, beside the baselines, over several seeds.

    python tools/finance_models.py --data sample --models lstm_frames tcn_small
    python tools/finance_models.py --data sp500_train.csv --test-data sp500_test.csv \
        --models lstm_frames gru_frames tcn_small transformer_frames_tiny mlp_small --seeds 0 1 2

This is how the finance pipeline's default model was chosen and how the README's numbers were
measured: each model trains with `zoo train finance`'s recipe (`applications.finance.pipeline`)
once per seed on the same chronological split, and is scored on the test period: the return
forecast's RMSE against the random walk's, the volatility forecast's QLIKE against EWMA's and
GARCH's, with the Diebold-Mariano p-values. Prints a Markdown table (median over seeds; the
baselines from the same runs; p-values of the median run) and writes every record to
`--output/results.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def measure(data: str, models: list[str], seeds: list[int], output: Path, *, test_data: str | None = None,
            targets=("return", "volatility"), window: int | None = None, pretrained: str | None = None,
            **recipe) -> list[dict]:
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.finance import features as F
    from keras_zoo.applications.finance.pipeline import DEFAULT_TRAIN, FinanceConfig, train_and_evaluate

    runs = []
    for model in models:
        for seed in seeds:
            tag = f"{model}-seed{seed}" + ("-pretrained" if pretrained else "")
            out = prepare_output_dir(output / tag, "finance")
            config = FinanceConfig(model=model, data=data, test_data=test_data, targets=tuple(targets),
                                   window=window or F.DEFAULT_WINDOW, pretrained=pretrained,
                                   train=TrainConfig(**{**DEFAULT_TRAIN, **recipe, "seed": seed}))
            start = time.perf_counter()
            record = train_and_evaluate(config, out, verbose=False)
            total = time.perf_counter() - start
            runs.append({"model": model + (" (fine-tuned)" if pretrained else ""), "seed": seed,
                         "metrics": record["metrics"], "baselines": record["baselines"], "total_s": total,
                         "kept_anchor": {t: v["kept_anchor"] for t, v in record["per_target"].items()}})
            m = record["metrics"]
            print(f"{tag}: " + ", ".join(
                [f"return RMSE {m['return']['rmse']:.6f}" if "return" in m else "",
                 f"volatility QLIKE {m['volatility']['qlike']:.4f}" if "volatility" in m else ""]).strip(", ")
                  + f"; run {total:.0f} s", flush=True)
    return runs


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(runs: list[dict]) -> str:
    """Median over seeds: return RMSE (and its ratio to the random walk's), QLIKE (and ratios to EWMA's, GARCH's)."""
    header = ("| model | return RMSE | / random walk | DM p | volatility QLIKE | / EWMA | DM p | / GARCH | DM p "
              "| run s |")
    lines = [header, "|---" * (header.count("|") - 1) + "|"]

    def fmt(v, form="{:.4f}"):
        return "-" if v is None else form.format(v)

    for model in dict.fromkeys(r["model"] for r in runs):
        mine = [r for r in runs if r["model"] == model]
        rmse = _median(r["metrics"].get("return", {}).get("rmse") for r in mine)
        rw = _median(r["baselines"].get("zero_return", {}).get("return", {}).get("rmse") for r in mine)
        qlike = _median(r["metrics"].get("volatility", {}).get("qlike") for r in mine)
        ewma = _median(r["baselines"].get("ewma", {}).get("volatility", {}).get("qlike") for r in mine)
        garch = _median(r["baselines"].get("garch", {}).get("volatility", {}).get("qlike") for r in mine)

        def p(name, target):
            return _median(r["baselines"].get(name, {}).get(target, {}).get("diebold_mariano", {}).get("p_value")
                           for r in mine)

        lines.append(f"| {model} | {fmt(rmse, '{:.6f}')} | {fmt(rmse / rw if rmse and rw else None)} | "
                     f"{fmt(p('zero_return', 'return'), '{:.3f}')} | {fmt(qlike)} | "
                     f"{fmt(qlike / ewma if qlike and ewma else None)} | {fmt(p('ewma', 'volatility'), '{:.3f}')} | "
                     f"{fmt(qlike / garch if qlike and garch else None)} | {fmt(p('garch', 'volatility'), '{:.3f}')} | "
                     f"{statistics.median(r['total_s'] for r in mine):.0f} |")
    for name in dict.fromkeys(n for r in runs for n in r["baselines"]):
        rmse = _median(r["baselines"][name].get("return", {}).get("rmse") for r in runs if name in r["baselines"])
        qlike = _median(r["baselines"][name].get("volatility", {}).get("qlike") for r in runs if name in r["baselines"])
        if rmse is not None or qlike is not None:
            lines.append(f"| {name} (baseline) | {fmt(rmse, '{:.6f}')} | | | {fmt(qlike)} | | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="sample", help="sample, a Yahoo-format CSV, or a folder of them")
    parser.add_argument("--test-data", help="the later period, as a CSV")
    parser.add_argument("--models", nargs="+", default=["lstm_frames"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--target", nargs="+", default=["return", "volatility"])
    parser.add_argument("--window", type=int)
    parser.add_argument("--pretrained", help="a finished finance run (e.g. on a folder of series) to fine-tune")
    parser.add_argument("--epochs", type=int, help="default: the pipeline's recipe (30, patience 5)")
    parser.add_argument("--output", default="runs/finance_models")
    args = parser.parse_args(argv)
    recipe = {"epochs": args.epochs} if args.epochs else {}
    output = Path(args.output)
    runs = measure(args.data, args.models, args.seeds, output, test_data=args.test_data, targets=args.target,
                   window=args.window, pretrained=args.pretrained, **recipe)
    print()
    print(table(runs))
    output.mkdir(parents=True, exist_ok=True)
    from keras_zoo.files import atomic_path

    with atomic_path(output / "results.json") as tmp:
        tmp.write_text(json.dumps(runs, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
