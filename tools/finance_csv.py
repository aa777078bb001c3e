"""Daily index prices that ship inside the `arch` package, written as Yahoo-format CSV files.

    pip install "keras-zoo[finance]"       # arch
    python tools/finance_csv.py --output data/finance
    zoo train finance --data data/finance/sp500_train.csv --test-data data/finance/sp500_test.csv
    zoo train finance --data data/finance/train --output runs/pretrained   # both series, before 2015

`arch` (Kevin Sheppard's volatility library) bundles the S&P 500 and the Nasdaq Composite, daily
open, high, low, close, adjusted close and volume from 1999-01-04 to 2018-12-31 (5,031 trading
days; Yahoo Finance data) as `arch.data.sp500` and `arch.data.nasdaq`. This writes each series
whole (`sp500.csv`) and split by date into a training file (before `--split`) and a later test
file (from `--split`): the form `zoo train finance --data TRAIN --test-data TEST` takes. It is how
the README's two decades of S&P 500 were given to the pipeline on a machine without internet.
Nothing of it is committed to this repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SERIES = ("sp500", "nasdaq")


def write(series: str, output: Path, split: str) -> list[Path]:
    """`output/<series>.csv`, `<series>_train.csv` (dates before `split`), `<series>_test.csv`, and
    `output/train/<series>.csv` (the training part again: a folder of every series' training part, for
    multi-series pretraining)."""
    import importlib

    import pandas as pd

    from keras_zoo.files import atomic_path

    frame = importlib.import_module(f"arch.data.{series}").load()
    frame.index = pd.DatetimeIndex(frame.index).strftime("%Y-%m-%d")
    frame.index.name = "Date"
    cut = pd.Timestamp(split).strftime("%Y-%m-%d")
    parts = {series: frame, f"{series}_train": frame[frame.index < cut], f"{series}_test": frame[frame.index >= cut],
             f"train/{series}": frame[frame.index < cut]}
    paths = []
    for name, part in parts.items():
        if part.empty:
            raise ValueError(f"No {series} rows {'before' if name.endswith('train') else 'from'} {split}; the data "
                             f"covers {frame.index[0]} to {frame.index[-1]}. Received: --split {split}")
        path = output / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            part.to_csv(tmp)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", nargs="+", default=list(SERIES), choices=SERIES)
    parser.add_argument("--split", default="2015-01-01", help="the first date of the test files (default 2015-01-01)")
    parser.add_argument("--output", default="data/finance")
    args = parser.parse_args(argv)
    try:
        import arch  # noqa: F401  (only to say it is missing here, not in the middle of the work)
    except ImportError:
        print('tools/finance_csv.py needs the `arch` package: pip install "keras-zoo[finance]"', file=sys.stderr)
        return 2
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    for series in args.series:
        for path in write(series, output, args.split):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
