"""Price series for the finance application, from every source it accepts.

Every source becomes a list of `Series` (one per instrument), dates ascending and unique:

- `sample`: Alphabet (GOOG) daily open, high, low, close and volume, 2004-08-19 to 2008-10-14
  (1,047 trading days), the real data that ships with matplotlib as `goog.npz`;
  `stocks_sample()` gives matplotlib's `Stocks.csv` too: monthly closes of ten series (IBM,
  AAPL, MSFT, XRX, AMZN, DELL, GOOGL, ADBE, the S&P 500 and the Nasdaq composite), 1990-2022;
- a CSV file in Yahoo Finance's format (`read_csv`): `Date,Open,High,Low,Close[,Adj Close][,Volume]`,
  column names case-insensitive, dates in any order;
- a folder of such CSV files: one series each, named after the file (multi-series training).

Which price is "the" price: `Adj Close` when the file has it (it folds in splits and dividends, so
its returns are the holder's returns), else `Close`. The high-low range uses `High` and `Low`
as they are (a ratio, unchanged by the adjustment).

No TensorFlow here; pandas and matplotlib are imported when a source is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from keras_zoo.applications.common.sources import Source
from keras_zoo.applications.common.tables import read_csv_frame

ACCEPTED = ("a CSV file of Date,Open,High,Low,Close[,Adj Close][,Volume] rows (Yahoo Finance's format), a folder "
            "of such files (one series each), or sample")
DATE_COLUMNS = ("date", "datetime", "time", "timestamp")
PRICE_COLUMNS = ("open", "high", "low", "close", "adj close", "volume")
_ALIASES = {"adj_close": "adj close", "adjclose": "adj close", "adjusted close": "adj close",
            "adjusted_close": "adj close", "vol": "volume"}
# Dates are read with the first of these formats that reads every row (ISO first; then Yahoo's and
# Excel's US exports, month first, as the S&P 500 file in `arch` has them).
DATE_FORMATS = ("ISO8601", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d", "%d.%m.%Y")


@dataclass
class Series:
    """One instrument's prices, dates ascending and unique; `open`/`high`/`low`/`volume` may be None."""

    name: str
    dates: np.ndarray  # datetime64[D]
    close: np.ndarray  # the price returns are computed from (Adj Close when the file had it)
    open: np.ndarray | None = None
    high: np.ndarray | None = None
    low: np.ndarray | None = None
    volume: np.ndarray | None = None
    source: str = ""
    notes: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.dates)

    def head(self, n: int) -> "Series":
        """The first `n` rows (the earliest)."""
        cut = {k: None if getattr(self, k) is None else getattr(self, k)[:n] for k in ("open", "high", "low", "volume")}
        return Series(self.name, self.dates[:n], self.close[:n], **cut, source=self.source, notes=dict(self.notes))


def load_series(source: Source, *, what: str = "--data") -> list[Series]:
    """The series of a parsed data source (`applications.common.sources.parse_source`).

    Raises:
        ValueError: a TFDS source (there is no TFDS price data set), a folder without CSV files,
            and everything `read_csv` refuses.
    """
    if source.kind == "sample":
        return [goog_sample()]
    if source.kind == "csv":
        return [read_csv(source.path, what=what)]
    if source.kind == "folder":
        files = sorted(p for p in source.path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not files:
            raise ValueError(f"The folder {source.text} holds no .csv files; the finance application takes {ACCEPTED}. "
                             f"Received: {what}={source.text!r}")
        return [read_csv(p, what=what) for p in files]
    raise ValueError(f"The finance application takes {ACCEPTED}; TensorFlow Datasets has no price series. "
                     f"Received: {what}={source.text!r}")


def goog_sample() -> Series:
    """GOOG daily prices 2004-2008 from matplotlib's sample data (`goog.npz`): real, 1,047 days."""
    from matplotlib import cbook

    with cbook.get_sample_data("goog.npz") as data:
        rows = data["price_data"]
    return Series(name="GOOG", dates=rows["date"].astype("datetime64[D]"), close=rows["adj_close"].astype(np.float64),
                  **{k: rows[k].astype(np.float64) for k in ("open", "high", "low", "volume")},
                  source="sample (matplotlib goog.npz: GOOG daily, 2004-2008)")


def stocks_sample() -> list[Series]:
    """matplotlib's `Stocks.csv`: monthly closes of ten series, each from its first to its last price."""
    import pandas as pd
    from matplotlib import cbook

    path = cbook.get_sample_data("Stocks.csv", asfileobj=False)
    frame = pd.read_csv(path, comment="#")
    dates = pd.to_datetime(frame["Date"], format="ISO8601").to_numpy().astype("datetime64[D]")
    series = []
    for column in frame.columns[1:]:
        prices = frame[column].to_numpy(dtype=np.float64)
        ok = np.isfinite(prices)  # rows of other series' dates, and months before a listing
        series.append(Series(name=column, dates=dates[ok], close=prices[ok],
                             source=f"sample (matplotlib Stocks.csv: {column} monthly)"))
    return series


def read_csv(path, *, what: str = "--data") -> Series:
    """One series from a CSV file with a header: `Date,Open,High,Low,Close[,Adj Close][,Volume]`.

    Column names are matched case-insensitively (`Adj Close`, `adj_close` and `AdjClose` alike);
    only `Date` and `Close` are required. Rows may come in any date order: they are sorted.

    Raises:
        ValueError, naming the row (counted as lines of the file: the header is line 1):
            a missing or non-numeric price or volume, a price <= 0, a high below the low, a date
            that cannot be read, a date given twice; and what `read_csv_frame` refuses (not UTF-8,
            empty, no rows), or no Date or Close column (the message lists the columns found).
    """
    path = Path(path)
    frame = read_csv_frame(path, what)
    frame.columns = [_ALIASES.get(c, c) for c in frame.columns]
    date_column = next((c for c in DATE_COLUMNS if c in frame.columns), None)
    if date_column is None or "close" not in frame.columns:
        lacking = " and ".join(n for n, ok in (("Date", date_column), ("Close", "close" in frame.columns)) if not ok)
        hint = " (the file looks tab- or semicolon-separated; it must be comma-separated)" if (
            len(frame.columns) == 1 and any(sep in frame.columns[0] for sep in ("\t", ";"))) else ""
        raise ValueError(f"The {what} file {path.name} has no {lacking} column{hint}; its columns are "
                         f"{', '.join(frame.columns)}. It needs {ACCEPTED[:ACCEPTED.index(' rows')]}. "
                         f"Received: {what}={str(path)!r}")
    dates = _dates(frame[date_column], path, what)
    values = {c: _numbers(frame[c], path, what, c) for c in PRICE_COLUMNS if c in frame.columns}
    for column, v in values.items():  # the prices, then the volume (PRICE_COLUMNS' order)
        bad = np.flatnonzero(v < 0 if column == "volume" else v <= 0)
        if len(bad):
            why = "volumes are counts >= 0" if column == "volume" else "prices must be above 0 (returns are log ratios)"
            raise ValueError(f"The {what} file {path.name}, line {bad[0] + 2}: {_title(column)} is {v[bad[0]]:g}; "
                             f"{why}. Received: {what}={str(path)!r}")
    if "high" in values and "low" in values and np.any(values["high"] < values["low"]):
        bad = int(np.flatnonzero(values["high"] < values["low"])[0])
        raise ValueError(f"The {what} file {path.name}, line {bad + 2}: High ({values['high'][bad]:g}) is below Low "
                         f"({values['low'][bad]:g}). Received: {what}={str(path)!r}")

    order = np.argsort(dates, kind="stable")
    sorted_dates = dates[order]
    same = np.flatnonzero(sorted_dates[1:] == sorted_dates[:-1])
    if len(same):
        lines = (int(order[same[0]]) + 2, int(order[same[0] + 1]) + 2)
        raise ValueError(f"The {what} file {path.name} gives the date {sorted_dates[same[0]]} twice (lines "
                         f"{min(lines)} and {max(lines)}); each date must appear once. Received: {what}={str(path)!r}")
    close = values.get("adj close", values["close"])
    return Series(name=path.stem, dates=sorted_dates, close=close[order], source=str(path),
                  **{k: values[k][order] if k in values else None for k in ("open", "high", "low", "volume")},
                  notes={"price": "Adj Close" if "adj close" in values else "Close",
                         **({"reversed": True} if len(order) > 1 and order[0] == len(order) - 1 else {})})


def _title(column: str) -> str:
    return " ".join(w.capitalize() for w in column.split())


def _numbers(column, path: Path, what: str, name: str) -> np.ndarray:
    import pandas as pd

    text = column.astype(str).str.strip()
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        shown = text.iloc[bad[0]]
        problem = "is missing" if shown in ("", "null", "nan", "NaN", "-") else f"is {shown!r}, not a number"
        more = f" ({len(bad)} rows in all)" if len(bad) > 1 else ""
        raise ValueError(f"The {what} file {path.name}, line {bad[0] + 2}: {_title(name)} {problem}{more}. Every row "
                         f"needs numeric prices; remove or fill such rows. Received: {what}={str(path)!r}")
    return values


def _dates(column, path: Path, what: str) -> np.ndarray:
    import pandas as pd

    text = column.astype(str).str.strip()
    for form in DATE_FORMATS:
        try:
            parsed = pd.to_datetime(text, format=form, utc=True)
        except (ValueError, TypeError):
            continue
        if not parsed.isna().any():
            return parsed.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    # None reads every row: report the first row the format that reads the most of them cannot read.
    best = max((pd.to_datetime(text, format=form, errors="coerce", utc=True) for form in DATE_FORMATS),
               key=lambda parsed: int(parsed.notna().sum()))
    bad = int(np.flatnonzero(best.isna().to_numpy())[0])
    raise ValueError(f"The {what} file {path.name}, line {bad + 2}: cannot read the date {text.iloc[bad]!r}; dates "
                     f"are written as 2024-01-31 (or 1/31/2024, 20240131, 31.01.2024), one format for the whole file. "
                     f"Received: {what}={str(path)!r}")
