"""The finance pipeline's leakage guard, through the public API.

The claim (`applications/finance/features.py`'s docstring): shuffling the future into the past is
impossible. Concretely:

- the row order of a file is not a way in: any order of the same rows gives the same series,
  features, split and windows (the API sorts by date);
- changing every price after a date D changes nothing computed for windows ending on or before D:
  the cut dates, the training samples, the scaler, the baselines' fits and forecasts, the network;
- targets that straddle a boundary are purged, so no training target reaches the validation
  period and no validation target the test period;
- test data given separately must be the later period.
"""

from __future__ import annotations

import numpy as np
import pytest

from keras_zoo.applications.common.sources import parse_source
from keras_zoo.applications.finance import baselines as B
from keras_zoo.applications.finance import features as F
from keras_zoo.applications.finance import pipeline
from keras_zoo.applications.finance.prices import Series, goog_sample, load_series, read_csv

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"
WINDOW = 8
HORIZON = 5


def rows_of(s: Series) -> list[str]:
    return [f"{d},{float(o)!r},{float(h)!r},{float(lo)!r},{float(c)!r},{float(c)!r},{int(v)}"
            for d, o, h, lo, c, v in zip(s.dates, s.open, s.high, s.low, s.close, s.volume)]


def write_csv(path, s: Series, order=None):
    """`s` as a Yahoo-format file, its rows in `order` (default: by date)."""
    rows = rows_of(s)
    path.parent.mkdir(parents=True, exist_ok=True)
    if order is not None:
        rows = [rows[k] for k in order]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def series_equal(a: Series, b: Series) -> None:
    for name in ("dates", "close", "open", "high", "low", "volume"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def split_equal(a: F.Split, b: F.Split) -> None:
    assert (a.val_start, a.test_start, a.purged) == (b.val_start, b.test_start, b.purged)
    for name in F.SPLITS:
        for x, y in zip(a.ends[name], b.ends[name], strict=True):
            np.testing.assert_array_equal(x, y, err_msg=name)


def perturbed_after(s: Series, cut: np.datetime64, kind: str, seed: int = 1) -> Series:
    """`s` with every price dated after `cut` changed (and nothing on or before it)."""
    rng = np.random.default_rng(seed)
    later = s.dates > cut
    n = int(later.sum())
    factor = np.ones(len(s))
    if kind == "random_walk":
        factor[later] = np.exp(np.cumsum(rng.normal(0.002, 0.05, n)))
    elif kind == "crash":
        factor[later] = 0.01
    elif kind == "shuffled_future":  # the same future prices, in another order
        order = np.flatnonzero(later)
        shuffled = rng.permutation(order)
        factor[order] = s.close[shuffled] / s.close[order]
    else:
        raise AssertionError(kind)
    volume = s.volume.copy()
    volume[later] = rng.integers(1, 10**8, n)
    return Series(s.name, s.dates.copy(), s.close * factor, open=s.open * factor, high=s.high * factor,
                  low=s.low * factor, volume=volume, source="perturbed")


@pytest.fixture(scope="module")
def goog():
    return goog_sample()


# ## (a) The order of a file's rows is not a way in


@pytest.mark.parametrize("order", ["reversed", "shuffled_0", "shuffled_1", "swap_two"])
def test_shuffled_file_gives_the_same_series_features_split_and_windows(tmp_path, goog, order):
    n = len(goog)
    permutation = {"reversed": np.arange(n)[::-1], "shuffled_0": np.random.default_rng(0).permutation(n),
                   "shuffled_1": np.random.default_rng(1).permutation(n),
                   "swap_two": np.r_[0, 1, 600, np.arange(3, 600), 2, np.arange(601, n)]}[order]
    assert sorted(permutation.tolist()) == list(range(n)) and not np.array_equal(permutation, np.arange(n))
    sorted_series = read_csv(write_csv(tmp_path / "GOOG.csv", goog))
    (shuffled,) = load_series(parse_source(str(write_csv(tmp_path / "shuffled" / "GOOG.csv", goog, permutation))))
    series_equal(sorted_series, goog)
    series_equal(shuffled, sorted_series)
    a, b = F.make_frame(sorted_series), F.make_frame(shuffled)
    np.testing.assert_array_equal(a.features, b.features)
    np.testing.assert_array_equal(a.returns, b.returns)
    for target, span in (("return", 1), ("volatility", HORIZON)):
        np.testing.assert_array_equal(F.targets(a, target, HORIZON), F.targets(b, target, HORIZON))
        sa = F.chronological_split([a], window=WINDOW, span=span)
        sb = F.chronological_split([b], window=WINDOW, span=span)
        split_equal(sa, sb)
        scaler_a, scaler_b = F.Scaler.fit(sa), F.Scaler.fit(sb)
        np.testing.assert_array_equal(scaler_a.mean, scaler_b.mean)
        np.testing.assert_array_equal(scaler_a.std, scaler_b.std)
        for name in F.SPLITS:
            np.testing.assert_array_equal(F.windows(scaler_a.transform(a.features), sa.ends[name][0], WINDOW),
                                          F.windows(scaler_b.transform(b.features), sb.ends[name][0], WINDOW))


def test_shuffled_rows_in_a_folder_are_sorted_too(tmp_path, goog):
    short = goog.head(200)
    write_csv(tmp_path / "A.csv", short, np.random.default_rng(2).permutation(200))
    write_csv(tmp_path / "B.csv", short, np.arange(200)[::-1])
    a, b = load_series(parse_source(str(tmp_path)))
    series_equal(a, short)
    series_equal(b, short)


@pytest.mark.parametrize("how", ["reversed", "shuffled", "joined_descending_test"])
def test_a_series_built_out_of_time_order_is_refused(goog, how):
    """A `Series` made by hand is public API too: one out of time order must not become a frame or a split."""
    n = len(goog)
    if how == "joined_descending_test":
        tail = np.arange(n - 1, 799, -1)  # the test period, latest first: its first row is after the training end
        (bad,), _ = F.join_test([goog.head(800)], [Series("GOOG", goog.dates[tail], goog.close[tail])])
    else:
        order = np.arange(n)[::-1] if how == "reversed" else np.random.default_rng(0).permutation(n)
        bad = Series("GOOG", goog.dates[order], goog.close[order], open=goog.open[order], high=goog.high[order],
                     low=goog.low[order], volume=goog.volume[order])
    with pytest.raises(ValueError, match="(?i)ascending|order|sorted"):
        F.chronological_split([F.make_frame(bad)], window=WINDOW, span=1)


# ## (b) Changing every price after a date D changes nothing computed for windows ending on or before D


def baseline_forecasts_at(target: str, frame: F.Frame, fit_until: int, ends: np.ndarray) -> dict:
    """Each baseline's forecast for the samples ending at `ends`, fitted on `returns[:fit_until]`."""
    r = frame.returns
    if target == "return":
        return {m: B.forecast_returns(m, r, fit_until, ends + 1, **({"lags": 5} if m == "autoregression" else {}))
                for m in ("zero_return", "historical_mean", "autoregression")}
    out = {"ewma": pipeline.ewma_anchor(r, fit_until, HORIZON)[ends],
           "har": B.forecast_variance("har", r, fit_until, ends + 1, horizon=HORIZON)}
    try:
        out["garch"] = B.forecast_variance("garch", r, fit_until, ends + 1, horizon=HORIZON)
    except B.GarchUnavailable:
        pass
    return out


@pytest.mark.parametrize("kind", ["random_walk", "crash", "shuffled_future"])
@pytest.mark.parametrize("where", ["val", "test"])
@pytest.mark.parametrize("target", ["return", "volatility"])
def test_prices_after_a_date_change_nothing_before_it(goog, target, where, kind):
    span = F.target_span(target, HORIZON)
    frame = F.make_frame(goog)
    split = F.chronological_split([frame], window=WINDOW, span=span)
    # D: the end of a window in the middle of the validation (or test) period
    ends_there = split.ends[where][0]
    cut = frame.dates[ends_there[len(ends_there) // 2]]
    changed = perturbed_after(goog, cut, kind)
    other = F.make_frame(changed)
    before = frame.dates <= cut
    assert before.sum() < len(frame)

    # the perturbation is real: features and targets after D move
    assert not np.allclose(frame.features[~before], other.features[~before])
    last = int(np.flatnonzero(before)[-1])  # the window ending on D: its target lies after D, and moves
    assert F.targets(frame, target, HORIZON)[last] != F.targets(other, target, HORIZON)[last]
    # ... and nothing on or before D does
    np.testing.assert_array_equal(frame.returns[before], other.returns[before])
    np.testing.assert_array_equal(frame.features[before], other.features[before])

    # the cut dates come from dates only: the same split
    again = F.chronological_split([other], window=WINDOW, span=span)
    split_equal(split, again)

    # the scaler reads training rows only: the same mean and std (all rows would not be)
    s1, s2 = F.Scaler.fit(split), F.Scaler.fit(again)
    np.testing.assert_array_equal(s1.mean, s2.mean)
    np.testing.assert_array_equal(s1.std, s2.std)
    assert not np.allclose(np.nanmean(frame.features, axis=0), np.nanmean(other.features, axis=0))

    # every window ending on or before D, and every target that ends on or before D, is unchanged
    x1, x2 = s1.transform(frame.features), s2.transform(other.features)
    y1, y2 = F.targets(frame, target, HORIZON), F.targets(other, target, HORIZON)
    for name in F.SPLITS:
        ends = split.ends[name][0]
        early = ends[frame.dates[ends] <= cut]
        if name == "train":
            assert len(early) == len(ends)  # the whole training set lies before D
        np.testing.assert_array_equal(F.windows(x1, early, WINDOW), F.windows(x2, early, WINDOW))
        settled = ends[frame.dates[ends + span] <= cut]
        np.testing.assert_array_equal(y1[settled], y2[settled])
    train_y = split.ends["train"][0]
    np.testing.assert_array_equal(y1[train_y], y2[train_y])

    # the baselines fit where the pipeline lets them (up to the last training target): the same forecasts
    fit_until = split.last_train_end(0) + span + 1
    assert frame.dates[fit_until - 1] < split.val_start <= cut
    early_ends = np.concatenate([e[frame.dates[e] <= cut] for e in (split.ends["val"][0], split.ends["test"][0])])
    assert len(early_ends)
    f1 = baseline_forecasts_at(target, frame, fit_until, early_ends)
    f2 = baseline_forecasts_at(target, other, fit_until, early_ends)
    assert f1.keys() == f2.keys()
    for method in f1:
        np.testing.assert_array_equal(f1[method], f2[method], err_msg=method)
    if where == "test":
        # the pipeline's own baselines for the test windows ending on or before D (AR's order is chosen on
        # validation targets, all before D here)
        p1 = pipeline.baseline_forecasts(target, split, [fit_until], HORIZON)
        p2 = pipeline.baseline_forecasts(target, again, [fit_until], HORIZON)
        keep = frame.dates[split.ends["test"][0]] <= cut
        for method in p1:
            if isinstance(p1[method], str):
                assert p2[method] == p1[method]
                continue
            np.testing.assert_array_equal(p1[method][0][keep], p2[method][0][keep], err_msg=method)


def test_prices_after_a_date_change_nothing_before_it_through_csv_files(tmp_path, goog):
    """The same through files: the original, and a copy whose later rows are replaced with noise."""
    frame = F.make_frame(goog)
    split = F.chronological_split([frame], window=WINDOW, span=HORIZON)
    cut = split.val_start
    a = load_series(parse_source(str(write_csv(tmp_path / "a.csv", goog))))
    b = load_series(parse_source(str(write_csv(tmp_path / "b.csv", perturbed_after(goog, cut, "random_walk", 7)))))
    fa, fb = (F.make_frame(s, F.available_features([s])) for s in (a[0], b[0]))
    sa, sb = (F.chronological_split([f], window=WINDOW, span=HORIZON) for f in (fa, fb))
    split_equal(sa, sb)
    ta, tb = F.Scaler.fit(sa), F.Scaler.fit(sb)
    np.testing.assert_array_equal(ta.mean, tb.mean)
    np.testing.assert_array_equal(ta.std, tb.std)
    ends = sa.ends["train"][0]
    np.testing.assert_array_equal(F.windows(ta.transform(fa.features), ends, WINDOW),
                                  F.windows(tb.transform(fb.features), ends, WINDOW))
    np.testing.assert_array_equal(F.targets(fa, "volatility", HORIZON)[ends],
                                  F.targets(fb, "volatility", HORIZON)[ends])


def test_split_given_test_starts_ignores_prices_after_them(goog):
    s = goog
    train = s.head(800)
    test = Series(s.name, s.dates[800:], s.close[800:], open=s.open[800:], high=s.high[800:], low=s.low[800:],
                  volume=s.volume[800:])
    joined, starts = F.join_test([train], [test])
    split = F.chronological_split([F.make_frame(joined[0])], window=WINDOW, span=HORIZON, test_starts=starts)
    noisy = perturbed_after(joined[0], s.dates[799], "random_walk", 3)
    again = F.chronological_split([F.make_frame(noisy)], window=WINDOW, span=HORIZON, test_starts=starts)
    split_equal(split, again)
    np.testing.assert_array_equal(F.Scaler.fit(split).mean, F.Scaler.fit(again).mean)


# ## (c) Purging: no training target reaches validation, no validation target reaches test


@pytest.mark.parametrize("horizon", [1, 5, 22])
def test_volatility_targets_are_purged_at_both_boundaries(goog, horizon):
    frame = F.make_frame(goog)
    split = F.chronological_split([frame], window=WINDOW, span=F.target_span("volatility", horizon))
    d = frame.dates
    reads = {name: set((split.ends[name][0][:, None] + 1 + np.arange(horizon)).ravel().tolist())
             for name in F.SPLITS}  # the return indices each split's targets read
    assert not reads["train"] & reads["val"] and not reads["val"] & reads["test"] and not reads["train"] & reads["test"]
    assert max(reads["train"]) < min(reads["val"]) and max(reads["val"]) < min(reads["test"])
    assert d[max(reads["train"])] < split.val_start <= d[min(reads["val"])]
    assert d[max(reads["val"])] < split.test_start <= d[min(reads["test"])]
    assert split.purged == 2 * (horizon - 1)
    # what the baselines may fit on stops at the last training target
    fit_until = split.last_train_end(0) + horizon + 1
    assert fit_until - 1 == max(reads["train"]) and d[fit_until - 1] < split.val_start
    # the scaler's rows stop at the last training window's end, before any validation target
    assert split.last_train_end(0) < min(reads["val"])


def test_purging_with_test_data_given_separately(goog):
    train = goog.head(900)
    test = Series("GOOG", goog.dates[900:], goog.close[900:])
    joined, starts = F.join_test([Series("GOOG", train.dates, train.close)], [test])
    frame = F.make_frame(joined[0])
    split = F.chronological_split([frame], window=WINDOW, span=HORIZON, test_starts=starts)
    d = frame.dates
    assert split.test_start == goog.dates[900]
    assert np.all(d[split.ends["train"][0] + HORIZON] < split.val_start)
    assert np.all(d[split.ends["val"][0] + HORIZON] < goog.dates[900])
    assert np.all(d[split.ends["test"][0] + 1] >= goog.dates[900])


# ## (d) Test data must be the later period


@pytest.mark.parametrize("test_rows", [slice(0, 300), slice(500, 900), slice(699, 1047)])
def test_test_data_that_is_not_later_is_refused(tmp_path, goog, test_rows):
    data = write_csv(tmp_path / "GOOG.csv", goog.head(700))
    part = goog.head(test_rows.stop)
    earlier = Series("GOOG", part.dates[test_rows.start:], part.close[test_rows.start:],
                     open=part.open[test_rows.start:], high=part.high[test_rows.start:],
                     low=part.low[test_rows.start:], volume=part.volume[test_rows.start:])
    test = write_csv(tmp_path / "test" / "GOOG.csv", earlier)
    config = pipeline.FinanceConfig(model="mlp_small", data=str(data), test_data=str(test), window=WINDOW)
    with pytest.raises(ValueError, match="must be the later period") as caught:
        pipeline.load_data(config)
    assert "--test-data" in str(caught.value) and str(goog.dates[699]) in str(caught.value)
    # and the same rows, one day later, are accepted
    later = write_csv(tmp_path / "ok.csv", Series("GOOG", goog.dates[700:], goog.close[700:], open=goog.open[700:],
                                                   high=goog.high[700:], low=goog.low[700:], volume=goog.volume[700:]))
    frames, starts = pipeline.load_data(pipeline.FinanceConfig(model="mlp_small", data=str(data),
                                                                 test_data=str(later), window=WINDOW))
    assert starts == {"GOOG": goog.dates[700]} and len(frames[0]) == len(goog) - 1


# ## (e) The whole pipeline, tiny: the network's forecasts before D do not see prices after D


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("target", ["return", "direction"])
def test_fit_target_forecasts_before_a_date_ignore_prices_after_it(tmp_path, goog, target):
    from keras_zoo.applications.common.training import TrainConfig

    series = goog.head(500)
    config = pipeline.FinanceConfig(model="mlp_small", window=WINDOW, targets=(target,),
                                    train=TrainConfig(epochs=1, batch_size=64, patience=None, seed=0))
    frame = F.make_frame(series)
    split = F.chronological_split([frame], window=WINDOW, span=1)
    test_ends = split.ends["test"][0]
    cut = frame.dates[test_ends[len(test_ends) // 2]]
    other = F.make_frame(perturbed_after(series, cut, "random_walk", 5))
    again = F.chronological_split([other], window=WINDOW, span=1)
    split_equal(split, again)
    r1 = pipeline.fit_target(target, split, config, tmp_path / "a", verbose=0)
    r2 = pipeline.fit_target(target, again, config, tmp_path / "b", verbose=0)
    keep = frame.dates[test_ends] <= cut
    assert 0 < keep.sum() < len(keep)
    assert r1["forecasts"].keys() == r2["forecasts"].keys() and r1["scale"] == r2["scale"]
    assert r1["kept_anchor"] == r2["kept_anchor"]
    np.testing.assert_array_equal(r1["scaler"].mean, r2["scaler"].mean)
    for w1, w2 in zip(r1["net"].get_weights(), r2["net"].get_weights(), strict=True):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-7)  # trained on the same samples
    for method, per in r1["forecasts"].items():
        np.testing.assert_allclose(per[0][keep], r2["forecasts"][method][0][keep], rtol=1e-5, atol=1e-9,
                                   err_msg=method)
    # the network does see the changed windows after D (the test is not vacuous); a return network that
    # kept its anchor forecasts 0 everywhere, so the direction network is the one that shows it
    net = r1["net"].name
    if r1["kept_anchor"]:
        assert not np.any(r1["forecasts"][net][0])
        return
    assert not np.allclose(r1["forecasts"][net][0][~keep], r2["forecasts"][net][0][~keep])
