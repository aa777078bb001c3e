"""Return and variance baselines: no look-ahead, hand-computed recursions, and the parameters of simulated series."""

import sys

import numpy as np
import pytest

from keras_zoo.applications.finance import baselines
from keras_zoo.applications.finance.baselines import (GARCH_MISSING, RETURN_BASELINES, VARIANCE_BASELINES, GarchUnavailable,
                                            autoregression, choose_ar_lags, ewma, forecast_returns,
                                            forecast_variance, har, historical_mean, variance_targets, zero_return)
from keras_zoo.applications.finance.metrics import qlike

TRUE_GARCH = dict(omega=0.05, alpha=0.08, beta=0.90)  # of percent returns: unconditional variance 2.5 %^2


def simulate_garch(n=3000, seed=0, omega=0.05, alpha=0.08, beta=0.90):
    """GARCH(1,1) log returns with normal shocks, simulated in percent and returned as fractions."""
    rng = np.random.default_rng(seed)
    shocks = rng.standard_normal(n)
    variance = omega / (1 - alpha - beta)
    returns = np.empty(n)
    for t in range(n):
        returns[t] = np.sqrt(variance) * shocks[t]
        variance = omega + alpha * returns[t] ** 2 + beta * variance
    return returns / 100


def simulate_ar(coefs, n=3000, seed=0, scale=0.01):
    rng = np.random.default_rng(seed)
    noise = scale * rng.standard_normal(n + 100)
    r = np.zeros(n + 100)
    for t in range(len(coefs), n + 100):
        r[t] = sum(c * r[t - 1 - j] for j, c in enumerate(coefs)) + noise[t]
    return r[100:]  # burn-in dropped


@pytest.fixture(scope="module")
def garch_returns():
    return simulate_garch()


def fitted(name, train, horizon=1):
    """A fitted baseline by name, skipping GARCH when `arch` is missing."""
    if name == "garch":
        pytest.importorskip("arch")
        return baselines.garch(train, horizon=horizon)
    if name in VARIANCE_BASELINES:
        return getattr(baselines, name)(train, horizon=horizon)
    return getattr(baselines, name)(train)


# ## No look-ahead


@pytest.mark.parametrize("name", RETURN_BASELINES + VARIANCE_BASELINES)
def test_no_forecast_uses_the_target_or_anything_after_it(name, garch_returns):
    returns = garch_returns[:600]
    model = fitted(name, returns[:400], horizon=3)
    index = np.array([30, 100, 399, 400, 450, 597])
    before = model.forecast(returns, index)
    assert before.shape == (6,) and np.isfinite(before).all()
    rng = np.random.default_rng(5)
    for i, k in enumerate(index):
        changed = returns.copy()
        changed[k:] = rng.normal(0, 0.05, len(returns) - k)  # the target and everything after it
        assert model.forecast(changed, index[i:i + 1])[0] == pytest.approx(before[i], rel=1e-12, abs=1e-15)
        # and the returns before it do matter (except to the random walk)
        changed[k - 1] += 0.03
        if name != "zero_return":
            assert model.forecast(changed, index[i:i + 1])[0] != pytest.approx(before[i], rel=1e-9)


@pytest.mark.parametrize("name", RETURN_BASELINES + VARIANCE_BASELINES)
def test_a_fit_sees_only_the_training_returns(name, garch_returns):
    """Through `forecast_*`: changing the returns from the first test target on changes no test forecast."""
    if name == "garch":
        pytest.importorskip("arch")
    returns, train_end = garch_returns[:700], 500
    index = np.arange(train_end, 690)
    run = forecast_returns if name in RETURN_BASELINES else forecast_variance
    before = run(name, returns, train_end, index)
    changed = returns.copy()
    changed[650:] *= 3.0
    after = run(name, changed, train_end, index)
    np.testing.assert_allclose(after[:150], before[:150], rtol=1e-12, atol=1e-15)  # targets 500..649


def test_the_one_call_forms_pass_their_options(garch_returns):
    r, index = garch_returns, np.arange(1000, 1100)
    np.testing.assert_array_equal(forecast_returns("autoregression", r, 1000, index, lags=2),
                                  autoregression(r[:1000], lags=2).forecast(r, index))
    np.testing.assert_array_equal(forecast_variance("ewma", r, 1000, index, horizon=5, lam=0.97),
                                  ewma(r[:1000], lam=0.97, horizon=5).forecast(r, index))
    np.testing.assert_array_equal(forecast_variance("har", r, 1000, index, horizon=5),
                                  har(r[:1000], horizon=5).forecast(r, index))


def test_the_next_unseen_period_can_be_forecast(garch_returns):
    n = len(garch_returns)
    assert zero_return(garch_returns).forecast(garch_returns, [n]).shape == (1,)
    assert ewma(garch_returns[:100]).forecast(garch_returns, [n])[0] > 0


def test_index_and_names_are_checked(garch_returns):
    ar = autoregression(garch_returns[:500], lags=5)
    with pytest.raises(ValueError, match=r"5\.\.len\(returns\) = 3000 \(autoregression\(lags=5\) needs 5 returns.*"
                                         r"Received: index containing 4"):
        ar.forecast(garch_returns, [4, 10])
    with pytest.raises(ValueError, match="index containing 3001"):
        zero_return(garch_returns).forecast(garch_returns, [3001])
    with pytest.raises(ValueError, match="1-D integer array"):
        zero_return(garch_returns).forecast(garch_returns, [1.5])
    with pytest.raises(ValueError, match=r"Unknown return baseline. Accepted: zero_return, historical_mean, "
                                         r"autoregression. Received: name='arma'"):
        forecast_returns("arma", garch_returns, 100, [200])
    with pytest.raises(ValueError, match="Unknown variance baseline.*Received: name='egarch'"):
        forecast_variance("egarch", garch_returns, 100, [200])
    with pytest.raises(ValueError, match="train_end"):
        forecast_returns("zero_return", garch_returns, 0, [200])
    with pytest.raises(ValueError, match=r"`zero_return` takes no options, not lags. Received: lags=5"):
        forecast_returns("zero_return", garch_returns, 100, [200], lags=5)
    with pytest.raises(ValueError, match=r"`ewma` takes lam, horizon, init_periods, not mean. Received: mean='zero'"):
        forecast_variance("ewma", garch_returns, 100, [200], mean="zero")
    with pytest.raises(ValueError, match="finite"):
        zero_return([0.01, np.nan])


# ## Return forecasters


def test_zero_return_and_the_expanding_mean_by_hand():
    r = np.array([0.01, 0.03, -0.01, 0.05])
    np.testing.assert_array_equal(zero_return(r[:2]).forecast(r, [2, 3]), [0.0, 0.0])
    np.testing.assert_allclose(historical_mean(r[:2]).forecast(r, [1, 2, 3, 4]), [0.01, 0.02, 0.01, 0.02])


def test_autoregression_recovers_an_ar1_coefficient():
    r = simulate_ar([0.3])
    ar = autoregression(r, lags=1)
    assert ar.coef[0] == pytest.approx(0.3, abs=0.05)
    assert abs(ar.intercept) < 1e-3
    # its forecast is the fitted equation, newest return first
    ar3 = autoregression(r, lags=3)
    expected = ar3.intercept + ar3.coef @ r[[99, 98, 97]]
    assert ar3.forecast(r, [100])[0] == pytest.approx(expected)


def test_autoregression_refuses_too_short_a_training_set():
    with pytest.raises(ValueError, match=r"AR\(5\) needs at least 11 training returns.*len\(train_returns\)=10"):
        autoregression(np.ones(10), lags=5)
    with pytest.raises(ValueError, match="Received: lags=0"):
        autoregression(np.ones(10), lags=0)


def test_choose_ar_lags_by_validation_mse():
    assert choose_ar_lags(simulate_ar([0, 0, 0, 0, 0.5], seed=1), 2000, 3000) in (5, 10)  # lag 5 matters
    r = simulate_ar([0.3], seed=2)
    assert choose_ar_lags(r, 2000, 3000, candidates=(1, 1)) == 1
    # on noise no order helps much; whichever wins, it is one of the candidates
    assert choose_ar_lags(np.random.default_rng(3).normal(size=600), 400, 600) in (1, 2, 5, 10)
    with pytest.raises(ValueError, match="train_end=500, val_end=400"):
        choose_ar_lags(r, 500, 400)


# ## Variance forecasters


def test_variance_targets_average_the_next_squared_returns():
    r = np.array([0.01, -0.02, 0.03, 0.0])
    np.testing.assert_allclose(variance_targets(r, [0, 1, 2], horizon=2), [2.5e-4, 6.5e-4, 4.5e-4])
    np.testing.assert_allclose(variance_targets(r, [3], horizon=1), [0.0])
    with pytest.raises(ValueError, match="index containing 3"):
        variance_targets(r, [3], horizon=2)


def test_ewma_by_hand_over_three_steps():
    r = np.array([0.01, -0.02, 0.03])
    model = ewma(r, lam=0.9, init_periods=2)
    s0 = (0.01**2 + 0.02**2) / 2  # 0.00025, the mean square of the first two training returns
    s1 = 0.9 * s0 + 0.1 * 0.01**2  # 0.000235
    s2 = 0.9 * s1 + 0.1 * 0.02**2  # 0.0002515
    s3 = 0.9 * s2 + 0.1 * 0.03**2  # 0.00031635
    np.testing.assert_allclose(model.forecast(r, [0, 1, 2, 3]), [s0, s1, s2, s3], rtol=1e-12)
    assert s3 == pytest.approx(0.00031635)
    # flat in the horizon
    np.testing.assert_array_equal(ewma(r, lam=0.9, init_periods=2, horizon=5).forecast(r, [3]), model.forecast(r, [3]))


def test_ewma_refuses_bad_arguments():
    with pytest.raises(ValueError, match="Received: lam=1.0"):
        ewma(np.ones(5), lam=1.0)
    with pytest.raises(ValueError, match="all 0"):
        ewma(np.zeros(5))


def test_har_regression_and_floor(garch_returns):
    model = har(garch_returns[:2000], horizon=5)
    index = np.arange(2000, 2900)
    forecast = model.forecast(garch_returns, index)
    assert (forecast >= model.floor).all() and model.floor > 0
    # on GARCH returns HAR puts weight on recent squared returns and beats a constant variance
    assert model.coef.sum() > 0.5
    target = variance_targets(garch_returns, index, horizon=5)
    constant = np.full(len(index), np.mean(garch_returns[:2000] ** 2))
    assert qlike(target, forecast) < qlike(target, constant)
    with pytest.raises(ValueError, match="HAR needs at least 28 training returns"):
        har(garch_returns[:20], horizon=2)


# ## GARCH


@pytest.mark.parametrize("mean", ["constant", "zero"])
def test_garch_recovers_the_simulated_parameters_and_beats_a_constant_variance(garch_returns, mean):
    pytest.importorskip("arch")
    train_end = 2500
    model = baselines.garch(garch_returns[:train_end], mean=mean)
    assert model.converged
    assert model.alpha == pytest.approx(TRUE_GARCH["alpha"], abs=0.03)
    assert model.beta == pytest.approx(TRUE_GARCH["beta"], abs=0.04)
    assert model.omega == pytest.approx(TRUE_GARCH["omega"], abs=0.03)
    assert (model.mu == 0.0) == (mean == "zero")
    index = np.arange(train_end, len(garch_returns))
    target = variance_targets(garch_returns, index)
    forecast = model.forecast(garch_returns, index)
    constant = np.full(len(index), np.var(garch_returns[:train_end]))
    assert qlike(target, forecast) < qlike(target, constant) - 0.05


def test_garch_filter_reproduces_arch_and_its_multi_step_recursion(garch_returns):
    arch = pytest.importorskip("arch")
    train = garch_returns[:1000]
    model = baselines.garch(train, horizon=3)
    fit = arch.arch_model(100 * train, mean="Constant", vol="GARCH", p=1, q=1, dist="normal").fit(disp="off")
    one_step = baselines.garch(train, horizon=1).forecast(train, np.arange(1000))
    np.testing.assert_allclose(one_step, (fit.conditional_volatility**2 + model.mu**2) / 1e4, rtol=1e-9)
    # three steps by the recursion: s2 = omega + (alpha + beta) s1, s3 = omega + (alpha + beta) s2
    s1 = baselines.garch(train).forecast(garch_returns, [1000])[0] * 1e4 - model.mu**2
    persistence = model.alpha + model.beta
    s2 = model.omega + persistence * s1
    s3 = model.omega + persistence * s2
    expected = ((s1 + s2 + s3) / 3 + model.mu**2) / 1e4
    assert model.forecast(garch_returns, [1000])[0] == pytest.approx(expected, rel=1e-12)
    # and arch's own 3-step forecast from the end of the training returns agrees
    arch_var = fit.forecast(horizon=3, reindex=False).variance.to_numpy()[0]
    assert model.forecast(train, [1000])[0] == pytest.approx((arch_var.mean() + model.mu**2) / 1e4, rel=1e-9)


def test_garch_refuses_an_unknown_mean(garch_returns):
    pytest.importorskip("arch")
    with pytest.raises(ValueError, match="Received: mean='ar'"):
        baselines.garch(garch_returns[:500], mean="ar")


def test_garch_without_arch_says_how_to_install_it(monkeypatch, garch_returns):
    monkeypatch.setitem(sys.modules, "arch", None)  # `import arch` now raises ImportError
    with pytest.raises(GarchUnavailable) as error:
        baselines.garch(garch_returns[:500])
    assert str(error.value) == 'GARCH(1,1) needs the `arch` package: pip install "keras-zoo[finance]"' == GARCH_MISSING
    assert isinstance(error.value, ImportError)
    with pytest.raises(GarchUnavailable):
        forecast_variance("garch", garch_returns, 500, [600])
