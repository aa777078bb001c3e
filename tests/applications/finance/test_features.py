"""Finance features: values by hand, targets, windows and their alignment, the chronological split, test data."""

from __future__ import annotations

import numpy as np
import pytest

from keras_zoo.applications.finance import features as F
from keras_zoo.applications.finance.prices import Series


def synthetic(n: int = 120, *, seed: int = 0, name: str = "SYN", start: str = "2020-01-01", volume: bool = True,
              step: int = 1) -> Series:
    """`n` daily prices of a random walk, with highs, lows and volumes (dates every `step` days)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    high = close * np.exp(rng.uniform(0.001, 0.03, n))
    low = close * np.exp(-rng.uniform(0.001, 0.03, n))
    vol = rng.integers(1_000, 50_000, n).astype(np.float64) if volume else None
    dates = np.datetime64(start, "D") + step * np.arange(n)
    return Series(name, dates, close, open=close.copy(), high=high, low=low, volume=vol)


@pytest.fixture(scope="module")
def series():
    return synthetic()


@pytest.fixture(scope="module")
def frame(series):
    return F.make_frame(series)


# ## Features by hand


def test_frame_is_indexed_by_return(series, frame):
    returns = np.log(series.close[1:] / series.close[:-1])
    assert len(frame) == len(series) - 1 == 119
    np.testing.assert_allclose(frame.returns, returns)
    np.testing.assert_array_equal(frame.dates, series.dates[1:])  # returns[i] ends on dates[i + 1] of the series
    np.testing.assert_allclose(frame.close, series.close[1:])
    assert frame.feature_names == F.FEATURES
    assert frame.features.shape == (119, 5) and frame.features.dtype == np.float64


def test_feature_values_by_hand(series, frame):
    r = np.log(series.close[1:] / series.close[:-1])
    col = {name: frame.features[:, k] for k, name in enumerate(frame.feature_names)}
    assert np.all(np.isnan(frame.features[:F.WARMUP]))
    assert np.all(np.isfinite(frame.features[F.WARMUP:]))
    for i in (F.WARMUP, 30, 77, 118):
        assert col["log_return"][i] == pytest.approx(r[i])
        assert col["volatility_5"][i] == pytest.approx(np.sqrt(np.mean(r[i - 4:i + 1] ** 2)))
        assert col["volatility_22"][i] == pytest.approx(np.sqrt(np.mean(r[i - 21:i + 1] ** 2)))
        # the range and the volume of the day the return ends on
        assert col["range"][i] == pytest.approx(np.log(series.high[i + 1] / series.low[i + 1]))
        assert col["volume_change"][i] == pytest.approx(np.log1p(series.volume[i + 1]) - np.log1p(series.volume[i]))


def test_feature_selection_and_refusals(series):
    frame = F.make_frame(series, ("volatility_5", "log_return"))
    assert frame.feature_names == ("volatility_5", "log_return") and frame.features.shape == (119, 2)
    with pytest.raises(ValueError, match="Unknown features"):
        F.make_frame(series, ("log_return", "momentum"))
    bare = Series("B", series.dates, series.close)
    assert F.make_frame(bare).feature_names == ("log_return", "volatility_5", "volatility_22")
    with pytest.raises(ValueError, match="no High and Low"):
        F.make_frame(bare, ("range",))
    with pytest.raises(ValueError, match="no Volume"):
        F.make_frame(bare, ("volume_change",))
    zero_volume = Series("Z", series.dates, series.close, volume=np.zeros(len(series)))
    assert "volume_change" not in F.available_features([zero_volume])
    assert "range" not in F.available_features([series, bare])  # what every series can give


# ## Targets


def test_return_and_direction_targets(frame):
    r = frame.returns
    ret, up = F.targets(frame, "return"), F.targets(frame, "direction")
    np.testing.assert_allclose(ret[:-1], r[1:])
    np.testing.assert_array_equal(up[:-1], (r[1:] > 0).astype(np.float64))
    assert np.isnan(ret[-1]) and np.isnan(up[-1])
    for i in (0, 21, 50, 117):
        assert ret[i] == r[i + 1] and up[i] == float(r[i + 1] > 0)


@pytest.mark.parametrize("h", [1, 5, 10])
def test_volatility_target_by_hand(frame, h):
    r = frame.returns
    vol = F.targets(frame, "volatility", h)
    for i in (0, 21, 60, len(r) - 1 - h):
        assert vol[i] == pytest.approx(np.mean(r[i + 1:i + 1 + h] ** 2))
    assert np.all(np.isnan(vol[len(r) - h:])) and np.all(np.isfinite(vol[:len(r) - h]))


def test_target_and_horizon_are_checked(frame):
    with pytest.raises(ValueError, match="target must be one of"):
        F.targets(frame, "price")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="horizon"):
            F.targets(frame, "volatility", bad)
    assert F.target_span("return", 5) == 1 and F.target_span("direction", 5) == 1
    assert F.target_span("volatility", 5) == 5


# ## Windows


def test_windows_shape_and_alignment(frame):
    w = 8
    ends = np.array([F.WARMUP + w - 1, 40, 41, 100, len(frame) - 1])
    x = F.windows(frame.features, ends, w)
    assert x.shape == (len(ends), w, frame.features.shape[1])
    for k, e in enumerate(ends):
        np.testing.assert_array_equal(x[k, -1], frame.features[e])  # the last row is the window's end
        np.testing.assert_array_equal(x[k], frame.features[e - w + 1:e + 1])
    assert F.windows(frame.features, np.array([], np.int64), w).shape[0] == 0
    with pytest.raises(ValueError, match="must end at an index"):
        F.windows(frame.features, np.array([w - 2]), w)
    with pytest.raises(ValueError, match="must end at an index"):
        F.windows(frame.features, np.array([len(frame)]), w)


@pytest.mark.parametrize("target,h", [("return", 1), ("volatility", 5)])
def test_target_lies_strictly_after_its_window(series, frame, target, h):
    """Each sample's target reads only returns after the window's last row (and the window reads none of them)."""
    w, span = 8, F.target_span(target, h)
    split = F.chronological_split([frame], window=w, span=span)
    r = frame.returns
    y = F.targets(frame, target, h)
    for name in F.SPLITS:
        for e in split.ends[name][0]:
            # the target is a function of r[e + 1 : e + 1 + span] exactly: recompute it from those returns only
            expected = r[e + 1] if target == "return" else np.mean(r[e + 1:e + 1 + span] ** 2)
            assert y[e] == pytest.approx(expected)
            assert e + span <= len(r) - 1
    # the window ending at e reads prices up to the day of returns[e] only: the series cut there gives the same rows
    for e in (int(split.ends["train"][0][0]), int(split.ends["val"][0][3]), int(split.ends["test"][0][-1])):
        cut = F.make_frame(series.head(e + 2))
        assert len(cut) == e + 1 and cut.dates[-1] == frame.dates[e]
        np.testing.assert_array_equal(F.windows(cut.features, [e], w), F.windows(frame.features, [e], w))
    # and a change to r[e + 1] moves the target of the window ending at e, not its features
    e = int(split.ends["train"][0][10])
    shifted = F.Frame(frame.name, frame.dates, frame.returns.copy(), frame.close, frame.features, frame.feature_names)
    shifted.returns[e + 1] += 0.5
    assert F.targets(shifted, target, h)[e] != y[e]
    np.testing.assert_array_equal(F.targets(shifted, target, h)[:e + 1 - span], y[:e + 1 - span])


def test_training_dataset_holds_exactly_the_training_windows_and_targets(frame):
    w = 8
    frames = [frame, F.make_frame(synthetic(90, seed=3, name="OTHER"))]
    split = F.chronological_split(frames, window=w, span=1)
    scaler = F.Scaler.fit(split)
    scaled = [scaler.transform(f.features) for f in frames]
    values = [F.targets(f, "return")[e].astype(np.float32) for f, e in zip(frames, split.ends["train"])]
    dataset = F.training_dataset(scaled, split.ends["train"], values, window=w, batch_size=16, seed=0)
    xs, ys = [], []
    for x, y in dataset:
        xs.append(x.numpy())
        ys.append(y.numpy())
    x, y = np.concatenate(xs), np.concatenate(ys)
    want_x = np.concatenate([F.windows(s, e, w) for s, e in zip(scaled, split.ends["train"])])
    want_y = np.concatenate(values)
    assert x.shape == want_x.shape == (split.count("train"), w, 5) and x.dtype == np.float32

    def pairs(xa, ya):
        return sorted((tuple(np.round(a, 5).ravel().tolist()), round(float(b), 6)) for a, b in zip(xa, ya))

    assert pairs(x, y) == pairs(want_x, want_y)
    assert not np.array_equal(x, want_x)  # it was shuffled
    with pytest.raises(ValueError, match="consecutive"):
        F.training_dataset(scaled[:1], [np.array([40, 42])], [np.zeros(2, np.float32)], window=w, batch_size=4,
                           seed=0)


# ## The chronological split


@pytest.mark.parametrize("target,h", [("return", 1), ("volatility", 5)])
def test_chronological_split_counts_and_boundaries(frame, target, h):
    w, span = 8, F.target_span(target, h)
    split = F.chronological_split([frame], window=w, span=span)
    d = frame.dates
    first, last = F.WARMUP + w - 1, len(frame) - 1 - span
    n = last - first + 1
    assert split.count("train") + split.count("val") + split.count("test") + split.purged == n
    assert split.purged == (2 * (span - 1))  # one boundary straddled by span - 1 targets, twice
    tr, va, te = (split.ends[s][0] for s in F.SPLITS)
    assert tr[0] == first and te[-1] == last
    assert np.all(np.diff(np.concatenate([tr, va, te])) > 0)  # in time order, no sample twice
    assert np.all(d[tr + span] < split.val_start)  # every training target ends before validation
    assert np.all(d[va + 1] >= split.val_start) and np.all(d[va + span] < split.test_start)
    assert np.all(d[te + 1] >= split.test_start)
    assert split.val_start < split.test_start
    # the straddlers are exactly the samples of neither split
    kept = set(np.concatenate([tr, va, te]).tolist())
    straddlers = [e for e in range(first, last + 1) if e not in kept]
    assert len(straddlers) == split.purged
    for e in straddlers:
        assert (d[e + 1] < split.val_start <= d[e + span]) or (d[e + 1] < split.test_start <= d[e + span])
    assert split.last_train_end(0) == tr[-1]
    # about 70 / 15 / 15 of the samples' target starts
    assert 0.6 < split.count("train") / n < 0.75 and 0.1 < split.count("test") / n < 0.2


def test_split_fractions_move_the_cut_dates(frame):
    a = F.chronological_split([frame], window=8, span=1)
    b = F.chronological_split([frame], window=8, span=1, val_fraction=0.3, test_fraction=0.2)
    assert b.val_start < a.val_start and b.test_start < a.test_start
    assert b.count("train") < a.count("train") and b.count("test") > a.count("test")


def test_too_short_a_series_names_the_length_it_needs():
    w, span = 8, 5
    need = F.WARMUP + w + span + 1  # prices: WARMUP + 1 for the volatility, w - 1 more, span ahead
    frame = F.make_frame(synthetic(need - 1))
    with pytest.raises(ValueError, match=f"need at least {need}") as caught:
        F.chronological_split([frame], window=w, span=span)
    assert f"has {need - 1} prices" in str(caught.value) and "--window" in str(caught.value)
    with pytest.raises(ValueError) as caught:  # long enough for one sample: then it is the empty splits
        F.chronological_split([F.make_frame(synthetic(need))], window=w, span=span)
    assert "need at least" not in str(caught.value) and "holds no complete sample" in str(caught.value)


def test_several_frames_share_the_cut_dates():
    a = F.make_frame(synthetic(200, seed=1, name="A", start="2020-01-01"))
    b = F.make_frame(synthetic(150, seed=2, name="B", start="2020-03-01"))
    split = F.chronological_split([a, b], window=8, span=5)
    starts = np.concatenate([f.dates[np.arange(F.WARMUP + 7, len(f) - 5) + 1] for f in (a, b)])
    assert split.val_start == np.datetime64(int(np.quantile(starts.astype("int64"), 0.7, method="higher")), "D")
    for k, f in enumerate((a, b)):
        tr, va, te = (split.ends[s][k] for s in F.SPLITS)
        assert len(tr) and len(va) and len(te)
        assert np.all(f.dates[tr + 5] < split.val_start)
        assert np.all(f.dates[va + 1] >= split.val_start) and np.all(f.dates[va + 5] < split.test_start)
        assert np.all(f.dates[te + 1] >= split.test_start)
    # no series' test period is another's past: every test target starts after every training target ends
    last_train = max(f.dates[split.ends["train"][k][-1] + 5] for k, f in enumerate((a, b)))
    first_test = min(f.dates[split.ends["test"][k][0] + 1] for k, f in enumerate((a, b)))
    assert last_train < first_test


def test_split_with_test_starts():
    s = synthetic(200)
    train, test = s.head(150), Series(s.name, s.dates[150:], s.close[150:], high=s.high[150:], low=s.low[150:],
                                      open=s.open[150:], volume=s.volume[150:])
    joined, starts = F.join_test([train], [test])
    assert starts == {s.name: s.dates[150]}
    frame = F.make_frame(joined[0])
    split = F.chronological_split([frame], window=8, span=5, test_starts=starts)
    assert split.test_start == s.dates[150]
    te = split.ends["test"][0]
    assert np.all(frame.dates[te + 1] >= s.dates[150]) and frame.dates[te[0]] < s.dates[150]  # reads the past
    assert np.all(frame.dates[split.ends["val"][0] + 5] < s.dates[150])
    with pytest.raises(ValueError, match="no training samples"):
        F.chronological_split([frame], window=8, span=5, test_starts={s.name: s.dates[10]})


# ## Test data given separately


def test_join_test_continues_the_training_series():
    s = synthetic(100)
    train = s.head(70)
    test = Series(s.name, s.dates[70:], s.close[70:], high=s.high[70:], low=s.low[70:], volume=s.volume[70:])
    (joined,), starts = F.join_test([train], [test])
    np.testing.assert_array_equal(joined.dates, s.dates)
    np.testing.assert_array_equal(joined.close, s.close)
    np.testing.assert_array_equal(joined.high, s.high)
    assert joined.open is None  # the test data has no opens
    assert starts[s.name] == s.dates[70]


@pytest.mark.parametrize("overlap", [0, 1, 30])
def test_join_test_refuses_test_data_that_is_not_later(overlap):
    s = synthetic(100)
    train = s.head(70)
    test = Series("T", s.dates[70 - overlap:], s.close[70 - overlap:])
    if overlap == 0:
        F.join_test([train], [test])
        return
    with pytest.raises(ValueError, match="must be the later period") as caught:
        F.join_test([train], [test])
    assert str(s.dates[69]) in str(caught.value)


def test_join_test_matches_folders_by_name():
    a, b = synthetic(100, seed=1, name="A"), synthetic(100, seed=2, name="B")
    cut = lambda x, lo, hi: Series(x.name, x.dates[lo:hi], x.close[lo:hi])  # noqa: E731
    joined, starts = F.join_test([cut(a, 0, 60), cut(b, 0, 60)], [cut(b, 60, 100), cut(a, 60, 100)])
    assert [j.name for j in joined] == ["A", "B"]
    np.testing.assert_array_equal(joined[0].close, a.close)
    np.testing.assert_array_equal(joined[1].close, b.close)
    assert starts == {"A": a.dates[60], "B": b.dates[60]}
    with pytest.raises(ValueError, match="no series named B"):
        F.join_test([cut(a, 0, 60), cut(b, 0, 60)], [cut(a, 60, 100), Series("C", b.dates[60:], b.close[60:])])
    with pytest.raises(ValueError, match="must be the later period"):
        F.join_test([cut(a, 0, 60), cut(b, 0, 60)], [cut(a, 60, 100), cut(b, 59, 100)])


# ## The scaler


def test_scaler_reads_training_rows_only(frame):
    split = F.chronological_split([frame], window=8, span=1)
    scaler = F.Scaler.fit(split)
    rows = frame.features[F.WARMUP:split.last_train_end(0) + 1]
    np.testing.assert_allclose(scaler.mean, rows.mean(axis=0))
    np.testing.assert_allclose(scaler.std, rows.std(axis=0))
    z = scaler.transform(frame.features)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z[F.WARMUP:split.last_train_end(0) + 1].mean(axis=0), 0, atol=1e-5)
    again = F.Scaler.from_json(scaler.to_json())
    np.testing.assert_array_equal(again.mean, scaler.mean)
    np.testing.assert_array_equal(again.std, scaler.std)
