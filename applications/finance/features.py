"""Features, targets, a chronological split and windows: the finance pipeline's data, leak-free by construction.

Time is indexed by returns: `returns[i] = log(close[i + 1] / close[i])`, dated `dates[i]` (the day
it ends). Everything computed for index `i` uses prices up to that date only:

- features at `i` (`FEATURES`): the log return; realised volatility over the last 5 and 22 periods
  (root mean square of the returns, a weekly and a monthly horizon as in Corsi's HAR model); the
  high-low range `log(high / low)` (when the data has highs and lows); the volume change
  `log(1 + volume)` difference (when it has volumes that are not all zero);
- a sample is a window of `window` feature rows ending at `i`, and a target after `i` (`TARGETS`):
  `return`, the next log return `returns[i + 1]`; `direction`, whether it is above 0; `volatility`,
  the realised variance over the next `horizon` periods, `mean(returns[i + 1 : i + 1 + horizon] ** 2)`.

The split (`chronological_split`) is by date, never by shuffling: a sample is *training* when its
whole target lies before the validation period, *validation* when its target starts in the
validation period and ends before the test period, *test* when its target starts in the test
period. Samples whose targets straddle a boundary are dropped (purged, as López de Prado advises),
so no training target overlaps a validation or test target. The scaler (`Scaler.fit`) sees only
feature rows at or before the last training window's end. Test data given separately must start
after the training data ends (`join_test`). None of this can be turned off through the public API:
`tests/applications/finance/test_leakage.py` proves that changing prices after a date changes
nothing that the pipeline computes for windows ending on or before that date.

Windows become a `tf.data.Dataset` with `keras.utils.timeseries_dataset_from_array`
(`training_dataset`); the model-free code (baselines, evaluation) reads them as numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np

from keras_zoo.applications.finance.prices import Series

FEATURES = ("log_return", "volatility_5", "volatility_22", "range", "volume_change")
VOL_WINDOWS = (5, 22)
WARMUP = max(VOL_WINDOWS) - 1  # the first index whose 22-period volatility is defined
TARGETS = ("return", "direction", "volatility")
DEFAULT_WINDOW = 32
DEFAULT_HORIZON = 5
VAL_FRACTION = 0.15
TEST_FRACTION = 0.15
SPLITS = ("train", "val", "test")


@dataclass
class Frame:
    """One series as the models see it: returns and feature rows, indexed by return.

    Args:
        name: the series' name.
        dates: `(T,)` the date each return ends on.
        returns: `(T,)` log returns.
        close: `(T,)` the price at each date (for pictures and the backtest).
        features: `(T, F)` rows of `feature_names`; rows before `WARMUP` hold NaN.
        feature_names: the columns of `features`.
    """

    name: str
    dates: np.ndarray
    returns: np.ndarray
    close: np.ndarray
    features: np.ndarray
    feature_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.returns)


def available_features(series: list[Series]) -> tuple[str, ...]:
    """The features every series can give: the range needs highs and lows, the volume change volumes."""
    names = ["log_return", "volatility_5", "volatility_22"]
    if all(s.high is not None and s.low is not None for s in series):
        names.append("range")
    if all(s.volume is not None and np.any(s.volume > 0) for s in series):
        names.append("volume_change")
    return tuple(names)


def make_frame(series: Series, feature_names: tuple[str, ...] | None = None) -> Frame:
    """The returns and features of one series (module docstring); `feature_names` by default all it has."""
    if len(series.dates) > 1 and np.any(np.diff(series.dates) <= np.timedelta64(0, "D")):
        k = int(np.flatnonzero(np.diff(series.dates) <= np.timedelta64(0, "D"))[0])
        raise ValueError(f"{series.name}: dates must be ascending and unique, so that no window reads its target's "
                         f"future; row {k + 1} is {series.dates[k]} and row {k + 2} is {series.dates[k + 1]}. Sort the "
                         f"rows by date (`prices.read_csv` does).")
    feature_names = available_features([series]) if feature_names is None else tuple(feature_names)
    unknown = [n for n in feature_names if n not in FEATURES]
    if unknown:
        raise ValueError(f"Unknown features {unknown}; known: {', '.join(FEATURES)}. Received: {feature_names}")
    returns = np.diff(np.log(series.close))
    columns = []
    for name in feature_names:
        if name == "log_return":
            columns.append(returns)
        elif name.startswith("volatility_"):
            columns.append(np.sqrt(_trailing_mean(returns ** 2, int(name.split("_")[1]))))
        elif name == "range":
            if series.high is None or series.low is None:
                raise ValueError(f"{series.name} has no High and Low columns: no range feature.")
            columns.append(np.log(series.high[1:] / series.low[1:]))
        elif name == "volume_change":
            if series.volume is None:
                raise ValueError(f"{series.name} has no Volume column: no volume feature.")
            columns.append(np.diff(np.log1p(series.volume)))
    features = np.stack(columns, axis=1) if columns else np.zeros((len(returns), 0))
    features[:WARMUP] = np.nan
    return Frame(series.name, series.dates[1:], returns, series.close[1:], features.astype(np.float64), feature_names)


def _trailing_mean(values: np.ndarray, k: int) -> np.ndarray:
    """`out[i] = mean(values[i - k + 1 : i + 1])`; NaN for the first `k - 1`."""
    out = np.full(len(values), np.nan)
    if len(values) >= k:
        sums = np.cumsum(np.concatenate([[0.0], values]))
        out[k - 1:] = (sums[k:] - sums[:-k]) / k
    return out


def targets(frame: Frame, target: str, horizon: int = 1) -> np.ndarray:
    """`(T,)` the target of each index `i` (NaN where it would need returns beyond the series' end)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}. Received: target={target!r}")
    r = frame.returns
    out = np.full(len(r), np.nan)
    if target == "volatility":
        h = check_periods("horizon", horizon)
        if len(r) > h:
            out[:len(r) - h] = _trailing_mean(r ** 2, h)[h:]  # mean(r[i+1 .. i+h] ** 2)
        return out
    out[:-1] = r[1:] if target == "return" else (r[1:] > 0).astype(np.float64)
    return out


def target_span(target: str, horizon: int) -> int:
    """How many periods after a window's end its target covers."""
    return check_periods("horizon", horizon) if target == "volatility" else 1


def check_periods(name: str, value) -> int:
    """`value` (the `name` option: window or horizon) as an int, checked to be a positive number of periods."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive number of periods. Received: {name}={value!r}")
    return int(value)


def join_test(train: list[Series], test: list[Series]) -> tuple[list[Series], dict[str, np.datetime64]]:
    """Each training series continued by its test series, and the date each test period starts.

    The test series are matched to the training series by name (a single series each: by position).
    Windows of the first test samples read the end of the training data: the past, as a forecaster
    would have it.

    Raises:
        ValueError: a test series that does not start after its training series ends (the test
            period must be the later one); names that do not match.
    """
    if len(train) == 1 and len(test) == 1:
        pairs = [(train[0], test[0])]
    else:
        by_name = {s.name: s for s in test}
        missing = [s.name for s in train if s.name not in by_name]
        if missing:
            raise ValueError(f"--test-data has no series named {', '.join(missing)}; test series are matched to "
                             f"training series by file name. Received: test series {', '.join(by_name)}")
        pairs = [(s, by_name[s.name]) for s in train]
    joined, starts = [], {}
    for old, new in pairs:
        if new.dates[0] <= old.dates[-1]:
            raise ValueError(
                f"The test data must be the later period: {new.name} in --test-data starts on {new.dates[0]}, "
                f"on or before the end of --data ({old.dates[-1]}). Give a test period after the training data.")
        keep = {k: None if getattr(old, k) is None or getattr(new, k) is None else
                np.concatenate([getattr(old, k), getattr(new, k)]) for k in ("open", "high", "low", "volume")}
        joined.append(Series(old.name, np.concatenate([old.dates, new.dates]), np.concatenate([old.close, new.close]),
                             **keep, source=f"{old.source} + {new.source}", notes=dict(old.notes)))
        starts[old.name] = new.dates[0]
    return joined, starts


@dataclass
class Split:
    """Which window ends (indices into each frame) are training, validation and test samples.

    Args:
        frames: the series.
        window, span: window length; periods a target covers.
        ends: `{split: [indices per frame]}`, each ascending.
        val_start, test_start: the first date of the validation and test periods.
        purged: how many samples were dropped for straddling a boundary.
    """

    frames: list[Frame]
    window: int
    span: int
    ends: dict[str, list[np.ndarray]]
    val_start: np.datetime64
    test_start: np.datetime64
    purged: int = 0

    def count(self, split: str) -> int:
        return int(sum(len(e) for e in self.ends[split]))

    def last_train_end(self, k: int) -> int:
        """The last feature row the training windows of frame `k` read (-1 when none)."""
        ends = self.ends["train"][k]
        return int(ends[-1]) if len(ends) else -1


def chronological_split(frames: list[Frame], *, window: int, span: int, test_starts: dict | None = None,
                        val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION) -> Split:
    """Split the samples of `frames` by date (module docstring).

    Without `test_starts`, the validation and test periods begin at the dates below which
    `1 - val_fraction - test_fraction` and `1 - test_fraction` of all samples' targets start (one
    pair of dates for every series, so no series' test period is another's past). With
    `test_starts` (`join_test`), the test period of each series begins there and the validation
    period is the last `val_fraction` of the samples before it.

    Raises:
        ValueError: a series too short for one window and target; an empty training,
            validation or test split.
    """
    window, span = check_periods("window", window), check_periods("horizon", span)
    first = WARMUP + window - 1  # the first index whose window holds only defined features
    candidates = []
    for frame in frames:
        last = len(frame) - 1 - span  # the last index whose target lies inside the series
        if last < first:
            raise ValueError(f"{frame.name} has {len(frame) + 1} prices; one window of {window} periods after the "
                             f"{WARMUP + 1} that the 22-period volatility needs, and a target {span} period(s) ahead, "
                             f"need at least {first + span + 2}. Give a longer series or a shorter --window.")
        candidates.append(np.arange(first, last + 1))
    starts = np.concatenate([f.dates[c + 1] for f, c in zip(frames, candidates)])  # each target's first date
    if test_starts is None:
        val_start, test_start = (np.datetime64(int(np.quantile(starts.astype("int64"), q, method="higher")), "D")
                                 for q in (1 - val_fraction - test_fraction, 1 - test_fraction))
        test_of = {f.name: test_start for f in frames}
    else:
        test_of = {f.name: np.datetime64(test_starts[f.name], "D") for f in frames}
        before = starts[starts < min(test_of.values())]
        if not len(before):
            raise ValueError("--data ends before its first window is complete: no training samples.")
        val_start = np.datetime64(int(np.quantile(before.astype("int64"), 1 - val_fraction, method="higher")), "D")
        test_start = min(test_of.values())
    ends = {s: [] for s in SPLITS}
    purged = 0
    for frame, idx in zip(frames, candidates):
        begin, finish = frame.dates[idx + 1], frame.dates[idx + span]  # each target's first and last date
        start = test_of[frame.name]  # this series' test period
        masks = {"train": finish < val_start, "val": (begin >= val_start) & (finish < start), "test": begin >= start}
        purged += int(np.sum(~(masks["train"] | masks["val"] | masks["test"])))
        for name, mask in masks.items():
            ends[name].append(idx[mask])
    split = Split(frames, window, span, ends, val_start, test_start, purged)
    for name in SPLITS:
        if split.count(name) == 0:
            raise ValueError(f"The {name} period holds no complete sample (window {window}, target {span} period(s) "
                             f"ahead). Give more data, a later --test-data start, or a shorter --window.")
    return split


@dataclass
class Scaler:
    """Per-feature mean and standard deviation, from training rows only."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, split: Split) -> "Scaler":
        """From every feature row that some training window reads, and no later row."""
        rows = [f.features[WARMUP:split.last_train_end(k) + 1] for k, f in enumerate(split.frames)]
        rows = np.concatenate([r for r in rows if len(r)])
        std = rows.std(axis=0)
        return cls(rows.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.std).astype(np.float32)

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "Scaler":
        return cls(np.asarray(data["mean"], np.float64), np.asarray(data["std"], np.float64))


def windows(features: np.ndarray, ends: np.ndarray, window: int) -> np.ndarray:
    """`(len(ends), window, F)`: the rows `features[e - window + 1 : e + 1]` for each end `e`."""
    ends = np.asarray(ends, dtype=np.int64)
    if len(ends) and (ends.min() < window - 1 or ends.max() >= len(features)):
        raise ValueError(f"A window must end at an index in [{window - 1}, {len(features) - 1}]. Received: ends "
                         f"from {ends.min()} to {ends.max()}")
    view = np.lib.stride_tricks.sliding_window_view(features, window, axis=0)  # (T - window + 1, F, window)
    return np.swapaxes(view[ends - window + 1], 1, 2)


def training_dataset(scaled: list[np.ndarray], ends: list[np.ndarray], values: list[np.ndarray], *, window: int,
                     batch_size: int, seed: int, first_epoch: int = 0, epochs: int | None = None):
    """The training windows and targets of every series as one shuffled, batched `tf.data.Dataset`.

    Each series' windows come from `keras.utils.timeseries_dataset_from_array` over the windows'
    range of rows; the shuffle mixes training samples only (all before the validation period).

    The batches of epochs `first_epoch` to `epochs - 1` (one epoch when `epochs` is None) follow each
    other; each epoch's order is drawn from `(seed, epoch)` alone, so that a run resumed at epoch k
    (`applications.common.training.fit` with a stream) sees the order an uninterrupted run saw.
    """
    import keras
    import tensorflow as tf

    parts = []
    for rows, idx, y in zip(scaled, ends, values):
        if not len(idx):
            continue
        if np.any(np.diff(idx) != 1):
            raise ValueError("Training window ends must be consecutive within a series.")
        first, last = int(idx[0]), int(idx[-1])
        aligned = np.zeros(len(rows), np.float32)  # aligned[s] is the target of the window starting at s
        aligned[first - window + 1:last - window + 2] = y
        parts.append(keras.utils.timeseries_dataset_from_array(
            rows, aligned, sequence_length=window, start_index=first - window + 1, end_index=last + 1,
            batch_size=None, shuffle=False))
    n = int(sum(len(i) for i in ends))
    x, y = reduce(tf.data.Dataset.concatenate, parts).batch(n).get_single_element()  # every training window, once
    last = first_epoch + 1 if epochs is None else epochs

    def one_epoch(epoch):
        # A permutation drawn from (seed, epoch) alone: no iterator state to lose when a run is killed.
        order = tf.random.experimental.index_shuffle(tf.range(n, dtype=tf.int64), max_index=n - 1,
                                                     seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size).map(
            lambda idx: (tf.gather(x, idx), tf.gather(y, idx)))

    return tf.data.Dataset.range(first_epoch, last).flat_map(one_epoch).prefetch(tf.data.AUTOTUNE)
