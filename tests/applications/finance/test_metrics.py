"""Forecast errors, QLIKE, the Diebold-Mariano test, the backtest and the verdict, against values computed by hand."""

import numpy as np
import pytest
import scipy.stats

from keras_zoo.applications.finance.metrics import (ZERO_VARIANCE_FLOOR, backtest, diebold_mariano, directional_accuracy, mae,
                                          mse_losses, periods_per_year, qlike, qlike_losses, rmse, verdict)

# ## Point errors


def test_rmse_mae_and_squared_losses_by_hand():
    y, f = [0.01, -0.02, 0.03], [0.0, 0.01, 0.03]
    assert rmse(y, f) == pytest.approx(np.sqrt((0.01**2 + 0.03**2) / 3))
    assert mae(y, f) == pytest.approx(0.04 / 3)
    np.testing.assert_allclose(mse_losses(y, f), [1e-4, 9e-4, 0.0], atol=1e-18)


def test_directional_accuracy_calls_up_iff_positive_and_counts_every_period():
    y = [0.01, -0.02, 0.0, 0.03, -0.01]
    f = [0.5, 0.1, -1.0, 0.0, 0.0]
    # up?  y: T F F T F;  f: T T F F F  ->  agree: T F T F T
    assert directional_accuracy(y, f) == pytest.approx(3 / 5)
    # The random walk (0 everywhere) calls "not up": it scores the share of periods not up.
    assert directional_accuracy(y, np.zeros(5)) == pytest.approx(3 / 5)


@pytest.mark.parametrize("function", [rmse, mae, directional_accuracy, mse_losses, qlike])
def test_point_metrics_refuse_bad_shapes_and_values(function):
    with pytest.raises(ValueError, match=r"same shape.*Received: y.shape=\(3,\), f.shape=\(2,\)|realised_var.shape"):
        function([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        function([], [])
    with pytest.raises(ValueError, match="finite"):
        function([1.0, np.nan], [1.0, 1.0])


# ## QLIKE


def test_qlike_by_hand():
    rv, f = [1.0, 4.0, 1.0], [1.0, 2.0, 2.0]
    expected = [0.0, 2.0 - np.log(2.0) - 1.0, 0.5 - np.log(0.5) - 1.0]
    np.testing.assert_allclose(qlike_losses(rv, f), expected)
    assert qlike(rv, f) == pytest.approx(np.mean(expected))
    assert qlike(rv, rv) == 0.0


def test_qlike_punishes_under_forecasting_more_than_over_forecasting():
    assert qlike([1.0], [0.5]) > qlike([1.0], [2.0])


def test_qlike_floors_a_zero_realised_variance_the_same_for_every_forecast():
    rv = np.array([0.0, 2.0, 4.0])
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 3.0])
    floor = ZERO_VARIANCE_FLOOR * 2.0
    assert qlike_losses(rv, a)[0] == pytest.approx(floor / 1.0 - np.log(floor / 1.0) - 1.0)
    difference = qlike_losses(rv, a) - qlike_losses(rv, b)
    # log(f_a) - log(f_b) is the limit of the difference as rv -> 0; the rest are equal forecasts.
    np.testing.assert_allclose(difference, [np.log(1.0 / 2.0), 0.0, 0.0], atol=1e-5)


def test_qlike_refuses_what_it_cannot_score():
    with pytest.raises(ValueError, match=r"must be > 0.*Received: forecast_var\[1\]=0.0"):
        qlike([1.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"Realised variances must be >= 0"):
        qlike([-1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="all 0"):
        qlike([0.0, 0.0], [1.0, 1.0])


# ## Diebold-Mariano


def test_dm_at_horizon_1_is_the_one_sample_t_test():
    # gamma_0 = (1/n) sum (d - d_bar)^2 = s^2 (n - 1) / n, with s^2 the sample variance (ddof=1), so
    # DM = d_bar / sqrt(gamma_0 / n) = d_bar sqrt(n) / s * sqrt(n / (n - 1)). The HLN factor at h = 1
    # is sqrt((n + 1 - 2 + 0) / n) = sqrt((n - 1) / n): DM* = d_bar sqrt(n) / s, the t statistic of
    # d against 0, with n - 1 degrees of freedom as ttest_1samp.
    rng = np.random.default_rng(0)
    loss_a, loss_b = rng.exponential(1.0, 40), rng.exponential(1.2, 40)
    dm = diebold_mariano(loss_a, loss_b)
    t = scipy.stats.ttest_1samp(loss_a - loss_b, 0.0)
    assert dm["statistic"] == pytest.approx(t.statistic, rel=1e-12)
    assert dm["p_value"] == pytest.approx(t.pvalue, rel=1e-10)
    assert (dm["n"], dm["horizon"]) == (40, 1)
    assert dm["mean_difference"] == pytest.approx(np.mean(loss_a - loss_b))
    assert (dm["mean_a"], dm["mean_b"]) == (pytest.approx(loss_a.mean()), pytest.approx(loss_b.mean()))


def test_dm_at_horizon_2_by_hand():
    loss_b = np.ones(5)
    loss_a = np.array([3.0, 1.0, 2.0, 4.0, 5.0])
    # d = [2, 0, 1, 3, 4], d_bar = 2, deviations [0, -2, -1, 1, 2]
    # gamma_0 = (0 + 4 + 1 + 1 + 4) / 5 = 2
    # gamma_1 = (0*(-2) + (-2)(-1) + (-1)(1) + (1)(2)) / 5 = 3/5
    # V = gamma_0 + 2 gamma_1 = 3.2;  DM = 2 / sqrt(3.2 / 5) = 2 / 0.8 = 2.5
    # HLN: sqrt((5 + 1 - 4 + 2/5) / 5) = sqrt(0.48);  DM* = 2.5 sqrt(0.48) = sqrt(3)
    dm = diebold_mariano(loss_a, loss_b, horizon=2)
    assert dm["statistic"] == pytest.approx(np.sqrt(3.0), rel=1e-12)
    assert dm["p_value"] == pytest.approx(2 * scipy.stats.t.sf(np.sqrt(3.0), df=4), rel=1e-12)
    assert (dm["mean_difference"], dm["n"], dm["horizon"]) == (2.0, 5, 2)


def test_dm_of_identical_losses_is_no_evidence_not_nan():
    losses = np.random.default_rng(1).exponential(size=30)
    for dm in (diebold_mariano(losses, losses), diebold_mariano(losses, losses, horizon=3),
               diebold_mariano(losses + 0.1, losses)):  # a constant difference: no variance either
        assert (dm["statistic"], dm["p_value"]) == (0.0, 1.0)
    # A negative rectangular-window variance (h = 2, d alternating) is no evidence either.
    dm = diebold_mariano(np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]), np.zeros(6), horizon=2)
    assert (dm["statistic"], dm["p_value"]) == (0.0, 1.0)


def test_dm_finds_a_clearly_better_forecast():
    rng = np.random.default_rng(2)
    y = rng.normal(size=500)
    good = y + 0.3 * rng.normal(size=500)
    bad = y + 1.0 * rng.normal(size=500)
    dm = diebold_mariano(mse_losses(y, good), mse_losses(y, bad))
    assert dm["p_value"] < 0.01 and dm["mean_difference"] < 0 and dm["statistic"] < 0
    reverse = diebold_mariano(mse_losses(y, bad), mse_losses(y, good), horizon=5)
    assert reverse["p_value"] < 0.01 and reverse["mean_difference"] > 0


def test_dm_refuses_bad_horizons_and_shapes():
    for horizon in (0, 5, 1.5, True):
        with pytest.raises(ValueError, match=rf"horizon.*Received: horizon={horizon!r}"):
            diebold_mariano(np.ones(5), np.zeros(5), horizon=horizon)
    with pytest.raises(ValueError, match="loss_a.shape=.4,., loss_b.shape=.5,."):
        diebold_mariano(np.ones(4), np.zeros(5))


# ## Verdict


def dm_result(mean_a, mean_b, p):
    return {"statistic": 0.0, "p_value": p, "mean_difference": mean_a - mean_b, "n": 100, "horizon": 1,
            "mean_a": mean_a, "mean_b": mean_b}


def test_verdict_says_plainly_when_the_model_did_not_win():
    sentence = verdict("lstm_frames", "the random walk", dm_result(1.013, 1.0, 0.41), loss_name="MSE")
    assert sentence == "lstm_frames did not beat the random walk: its MSE is 1.3% higher (Diebold–Mariano p = 0.41)."
    sentence = verdict("lstm", "EWMA", dm_result(1.2, 1.0, 0.0001), loss_name="QLIKE")
    assert sentence == ("lstm did not beat EWMA: its QLIKE is 20.0% higher, significantly worse "
                        "(Diebold–Mariano p < 0.001).")
    sentence = verdict("lstm", "EWMA", dm_result(1.0, 1.0, 1.0), loss_name="QLIKE")
    assert sentence == "lstm did not beat EWMA: their QLIKE is the same (Diebold–Mariano p = 1)."


def test_verdict_lower_but_not_significant_is_not_a_win():
    sentence = verdict("gru", "the random walk", dm_result(0.95, 1.0, 0.2), loss_name="MSE")
    assert sentence == ("gru did not beat the random walk significantly: its MSE is 5.0% lower, but the difference "
                        "is not significant (Diebold–Mariano p = 0.2).")


def test_verdict_significant_win():
    dm = dm_result(0.919, 1.0, 0.003)
    expected = "tcn beat EWMA with statistical significance: QLIKE 8.1% lower, p = 0.003."
    assert verdict("tcn", "EWMA", dm, loss_name="QLIKE") == expected
    # The same numbers at alpha = 0.001 are not significant.
    assert verdict("tcn", "EWMA", dm, alpha=0.001, loss_name="QLIKE").startswith("tcn did not beat EWMA significantly")


def test_verdict_when_higher_is_better():
    assert verdict("m", "b", dm_result(0.55, 0.5, 0.01), lower_is_better=False, loss_name="accuracy") == (
        "m beat b with statistical significance: accuracy 10.0% higher, p = 0.01.")
    assert verdict("m", "b", dm_result(0.45, 0.5, 0.01), lower_is_better=False, loss_name="accuracy").startswith(
        "m did not beat b: its accuracy is 10.0% lower, significantly worse")


def test_verdict_without_a_relative_size_and_bad_arguments():
    assert verdict("m", "b", dm_result(0.5, 0.0, 0.3)) == (
        "m did not beat b: its loss is higher by 0.5 (Diebold–Mariano p = 0.3).")
    with pytest.raises(ValueError, match="alpha"):
        verdict("m", "b", dm_result(1.0, 1.0, 1.0), alpha=0.0)
    with pytest.raises(ValueError, match="Received: dm of type list"):
        verdict("m", "b", [1, 2])
    with pytest.raises(ValueError, match=r"Received: dm of type dict with keys \['p_value'\]"):
        verdict("m", "b", {"p_value": 0.5})


def test_verdict_of_a_real_test():
    rng = np.random.default_rng(4)
    y = rng.normal(size=300)
    model, walk = mse_losses(y, y + 0.5 * rng.normal(size=300)), mse_losses(y, np.zeros(300))
    assert verdict("m", "the random walk", diebold_mariano(model, walk), loss_name="MSE").startswith(
        "m beat the random walk with statistical significance: MSE ")
    assert verdict("rw", "m", diebold_mariano(walk, model), loss_name="MSE").startswith(
        "rw did not beat m: its MSE is ")


# ## Backtest


def test_backtest_by_hand_equity_costs_drawdown():
    simple = np.array([0.10, -0.05, 0.02, -0.10])
    returns = np.log1p(simple)
    signal = np.array([0.3, 0.1, -0.2, 0.0001])  # positions 1, 1, 0, 1
    result = backtest(returns, signal, cost_bps=100.0, periods_per_year=4)  # a cost of 1% per position change
    s, bh = result["strategy"], result["buy_and_hold"]
    # strategy: enter (-1%), hold, exit (-1%, flat so no return), enter again (-1%)
    period = np.array([0.10 - 0.01, -0.05, -0.01, -0.10 - 0.01])
    np.testing.assert_allclose(s["equity"], np.cumprod(1 + period))
    np.testing.assert_allclose(s["equity"], [1.09, 1.09 * 0.95, 1.09 * 0.95 * 0.99, 1.09 * 0.95 * 0.99 * 0.89])
    assert s["cumulative_return"] == pytest.approx(1.09 * 0.95 * 0.99 * 0.89 - 1)
    assert s["annualised_return"] == pytest.approx(s["cumulative_return"])  # 4 periods, 4 per year
    assert s["max_drawdown"] == pytest.approx(1 - 0.95 * 0.99 * 0.89)  # from the peak 1.09 after period 1
    assert (s["trades"], s["exposure"]) == (3, 0.75)
    assert s["sharpe"] == pytest.approx(period.mean() / period.std(ddof=1) * 2.0)  # sqrt(4 periods a year)
    # buy-and-hold pays the entry once
    np.testing.assert_allclose(bh["equity"], np.cumprod([1.09, 0.95, 1.02, 0.90]))
    assert bh["max_drawdown"] == pytest.approx(1 - 0.95 * 1.02 * 0.90)
    assert (bh["trades"], bh["exposure"]) == (1, 1.0)
    assert (result["cost_bps"], result["periods_per_year"]) == (100.0, 4)
    # every number but the equity curve is a plain Python scalar (JSON-ready)
    assert all(isinstance(v, (int, float, type(None))) for k, v in s.items() if k != "equity")


def test_backtest_drawdown_counts_from_the_starting_equity():
    result = backtest(np.log1p([-0.2, 0.1]), [1.0, 1.0], cost_bps=0.0)
    assert result["strategy"]["max_drawdown"] == pytest.approx(0.2)
    assert result["strategy"]["annualised_return"] == pytest.approx((0.8 * 1.1) ** (252 / 2) - 1)


def test_an_always_positive_signal_is_buy_and_hold():
    returns = np.random.default_rng(3).normal(0.0005, 0.01, 300)
    result = backtest(returns, np.full(300, 0.5), cost_bps=5.0)
    strategy, hold = dict(result["strategy"]), dict(result["buy_and_hold"])
    np.testing.assert_array_equal(strategy.pop("equity"), hold.pop("equity"))
    assert strategy == hold


def test_sharpe_is_none_without_variation():
    constant = np.full(10, np.log(1.01))
    result = backtest(constant, -np.ones(10), cost_bps=0.0)  # never in the market: every return 0
    s = result["strategy"]
    assert s["sharpe"] is None and s["trades"] == 0 and s["cumulative_return"] == 0 and s["max_drawdown"] == 0
    assert backtest(constant, np.ones(10), cost_bps=0.0)["buy_and_hold"]["sharpe"] is None  # constant 1% a period
    assert backtest(constant[:1], np.ones(1))["buy_and_hold"]["sharpe"] is None  # one period
    assert backtest(constant, np.ones(10), cost_bps=5.0)["buy_and_hold"]["sharpe"] is not None  # the entry cost


def test_backtest_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"returns.shape=\(3,\), signal.shape=\(2,\)"):
        backtest(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="cost_bps"):
        backtest(np.zeros(3), np.zeros(3), cost_bps=-1.0)
    with pytest.raises(ValueError, match="periods_per_year"):
        backtest(np.zeros(3), np.zeros(3), periods_per_year=0)
    with pytest.raises(ValueError, match="signal.* finite"):
        backtest(np.zeros(3), [0.0, np.nan, 1.0])


# ## Periods per year


def business_days(start, n):
    days = np.arange(np.datetime64(start), np.datetime64(start) + 3 * n, dtype="datetime64[D]")
    return days[np.is_busday(days)][:n]


@pytest.mark.parametrize("dates, expected", [
    (business_days("2024-01-01", 300), 252),
    (np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-12-31"), dtype="datetime64[D]"), 365),
    (np.arange(np.datetime64("2020-01-03"), np.datetime64("2024-01-01"), np.timedelta64(7, "D")), 52),
    ((np.arange(np.datetime64("2020-02"), np.datetime64("2024-01"), dtype="datetime64[M]")
      .astype("datetime64[D]") - 1), 12),  # month ends
    (np.array(["2020-03-31", "2020-06-30", "2020-09-30", "2020-12-31", "2021-03-31"], dtype="datetime64[D]"), 4),
    (np.array(["2019-12-31", "2020-12-31", "2021-12-31", "2022-12-30"], dtype="datetime64[D]"), 1),
])
def test_periods_per_year(dates, expected):
    assert periods_per_year(dates) == expected


def test_periods_per_year_reads_strings_and_refuses_what_it_cannot_date():
    assert periods_per_year(["2024-01-31", "2024-02-29", "2024-03-31"]) == 12
    with pytest.raises(ValueError, match="ascending"):
        periods_per_year(np.array(["2024-02-01", "2024-01-01"], dtype="datetime64[D]"))
    with pytest.raises(ValueError, match="at least 2"):
        periods_per_year(np.array(["2024-02-01"], dtype="datetime64[D]"))
    with pytest.raises(ValueError, match="Intraday"):
        periods_per_year(np.arange(np.datetime64("2024-01-01T00"), np.datetime64("2024-01-02T00")))
    with pytest.raises(ValueError, match="further apart than annual"):
        periods_per_year(np.array(["2000-01-01", "2010-01-01"], dtype="datetime64[D]"))
    with pytest.raises(ValueError, match="datetime64"):
        periods_per_year(["not a date", "2024-01-01"])
