"""The classical forecasters every model of the application is measured against, on the same targets.

Each baseline is fitted on the training returns only (`baseline(returns[:train_end], ...)`) and
then forecasts with one call, `forecast(returns, index)`, where `index[i]` is the position in
`returns` of the first return of target `i`: forecast `i` uses `returns[:index[i]]` and the fitted
parameters, nothing at or after `index[i]` (`index[i] == len(returns)` forecasts the next,
unseen, period). Each fitted baseline is a small dataclass with `name` and `fit_s` (seconds spent
fitting). No TensorFlow here: numpy, scipy, scikit-learn; `arch` for GARCH.

Return forecasters, of `returns[index[i]]`:

- `zero_return`: 0, the random walk in (log) prices, the forecast that is hardest to beat;
- `historical_mean`: the mean of every return before the target, an expanding window that uses no
  future and updates as time passes; no fitted parameter (Welch and Goyal 2008, "A Comprehensive
  Look at the Empirical Performance of Equity Premium Prediction",
  https://doi.org/10.1093/rfs/hhm014, find it hard to beat out of sample);
- `autoregression`: a linear regression of a return on the `lags` returns before it (scikit-learn),
  fitted on the training targets; `choose_ar_lags` picks the order by validation MSE.

Variance forecasters, of the average per-period variance over the `horizon` periods from
`index[i]`, `mean(returns[index[i]:index[i] + horizon] ** 2)` (`variance_targets`):

- `ewma`: RiskMetrics' exponentially weighted moving average, `lam = 0.94` for daily data (J.P.
  Morgan/Reuters 1996, "RiskMetrics Technical Document", 4th ed.); its forecast is flat in the
  horizon;
- `garch`: GARCH(1,1) (Bollerslev 1986, "Generalized autoregressive conditional
  heteroskedasticity", https://doi.org/10.1016/0304-4076(86)90063-1) fitted by `arch`
  (https://arch.readthedocs.io) on the training returns once, then filtered over the whole series
  with its parameters fixed; `GarchUnavailable` when `arch` is not installed;
- `har`: Corsi's HAR-RV (2009, "A Simple Approximate Long-Memory Model of Realized Volatility",
  https://doi.org/10.1093/jjfinec/nbp001) on squared returns: a linear regression of the target on
  the daily, weekly (5) and monthly (22) averages of squared returns.

Example:
    >>> train_end = 2000
    >>> index = np.arange(train_end, len(returns))
    >>> rw = zero_return(returns[:train_end]).forecast(returns, index)
    >>> ar = autoregression(returns[:train_end], lags=5).forecast(returns, index)
    >>> vol = ewma(returns[:train_end], horizon=5).forecast(returns, index[:-4])
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

import numpy as np

from keras_zoo.applications.finance.metrics import finite_series

RETURN_BASELINES = ("zero_return", "historical_mean", "autoregression")
VARIANCE_BASELINES = ("ewma", "garch", "har")
AR_LAG_CANDIDATES = (1, 2, 5, 10)
HAR_WINDOWS = (1, 5, 22)  # a day, a week, a month of trading days (Corsi 2009)
# A HAR regression can forecast a variance <= 0; its forecasts are raised to this fraction of the
# training mean of squared returns, so that QLIKE (which takes a logarithm) can score them.
HAR_FLOOR = 1e-3
GARCH_SCALE = 100.0  # arch fits percent returns: its optimiser is tuned for values of order 1
GARCH_MISSING = 'GARCH(1,1) needs the `arch` package: pip install "keras-zoo[finance]"'


class GarchUnavailable(ImportError):
    """`garch` was asked for but `arch` cannot be imported: the pipeline reports GARCH as skipped."""


@dataclass
class ZeroReturn:
    """Forecasts 0: the random walk in log prices."""

    fit_s: float = 0.0
    name: str = "zero_return"

    def forecast(self, returns, index) -> np.ndarray:
        _, index = _check_forecast_args(returns, index, min_history=0)
        return np.zeros(len(index))


@dataclass
class HistoricalMean:
    """Forecasts `mean(returns[:index[i]])`: the expanding mean of everything before the target."""

    fit_s: float = 0.0
    name: str = "historical_mean"

    def forecast(self, returns, index) -> np.ndarray:
        r, index = _check_forecast_args(returns, index, min_history=1, who="historical_mean")
        sums = np.concatenate([[0.0], np.cumsum(r)])
        return sums[index] / index


@dataclass
class AutoRegression:
    """Forecasts `intercept + sum_j coef[j] * returns[index[i] - 1 - j]`, `j < lags`."""

    lags: int
    coef: np.ndarray  # (lags,) coef[0] multiplies the latest return
    intercept: float
    fit_s: float = 0.0
    name: str = "autoregression"

    def forecast(self, returns, index) -> np.ndarray:
        r, index = _check_forecast_args(returns, index, min_history=self.lags, who=f"autoregression(lags={self.lags})")
        return self.intercept + _lagged(r, index, self.lags) @ self.coef


def zero_return(train_returns) -> ZeroReturn:
    """The random walk: every return is forecast as 0. `train_returns` is only checked.

    Example:
        >>> zero_return(returns[:train_end]).forecast(returns, index)
    """
    finite_series("train_returns", train_returns)
    return ZeroReturn()


def historical_mean(train_returns) -> HistoricalMean:
    """The expanding historical mean: forecast `i` is the mean of all the returns before `index[i]`.

    It has no parameter to fit (`train_returns` is only checked): at a test target it averages the
    training returns and the test returns already seen, never a later one.

    Example:
        >>> historical_mean(returns[:train_end]).forecast(returns, index)
    """
    finite_series("train_returns", train_returns)
    return HistoricalMean()


def autoregression(train_returns, lags: int = 5) -> AutoRegression:
    """AR(`lags`): scikit-learn's `LinearRegression` of a return on the `lags` returns before it.

    Fitted on the training targets `train_returns[lags:]`, each with the `lags` returns before it.

    Args:
        train_returns: `(n,)` the training log returns, `n >= 2 * lags + 1`.
        lags: the order.

    Example:
        >>> ar = autoregression(returns[:train_end], lags=choose_ar_lags(returns, train_end, val_end))
        >>> ar.forecast(returns, np.arange(val_end, len(returns)))
    """
    from sklearn.linear_model import LinearRegression

    lags = _check_positive_int("lags", lags)
    r = finite_series("train_returns", train_returns)
    if len(r) < 2 * lags + 1:
        raise ValueError(f"An AR({lags}) needs at least {2 * lags + 1} training returns ({lags} lags, {lags + 1} "
                         f"targets). Received: len(train_returns)={len(r)}")
    start = time.perf_counter()
    targets = np.arange(lags, len(r))
    model = LinearRegression().fit(_lagged(r, targets, lags), r[targets])
    return AutoRegression(lags=lags, coef=model.coef_.astype(np.float64), intercept=float(model.intercept_),
                          fit_s=time.perf_counter() - start)


def choose_ar_lags(returns, train_end: int, val_end: int, candidates=AR_LAG_CANDIDATES) -> int:
    """The AR order with the lowest validation MSE: each fitted on `returns[:train_end]`, scored on `train_end:val_end`.

    Every candidate forecasts the same validation targets `returns[train_end:val_end]`, each with
    the returns before it. Ties go to the fewer lags.

    Args:
        returns: `(n,)` log returns, `n >= val_end`.
        train_end: the end of the training returns (exclusive).
        val_end: the end of the validation returns (exclusive), `> train_end`.
        candidates: the orders tried.

    Example:
        >>> lags = choose_ar_lags(returns, train_end=1500, val_end=2000)
        >>> ar = autoregression(returns[:1500], lags=lags)
    """
    r = finite_series("returns", returns)
    candidates = tuple(_check_positive_int("candidates", lag) for lag in candidates)
    if not candidates:
        raise ValueError("`candidates` must hold at least one order. Received: candidates=()")
    if not (isinstance(train_end, (int, np.integer)) and isinstance(val_end, (int, np.integer))
            and 0 < train_end < val_end <= len(r)):
        raise ValueError(f"Expected integers 0 < train_end < val_end <= len(returns) = {len(r)}. "
                         f"Received: train_end={train_end!r}, val_end={val_end!r}")
    index = np.arange(train_end, val_end)
    scores = {}
    for lags in sorted(set(candidates)):
        forecast = autoregression(r[:train_end], lags=lags).forecast(r, index)
        scores[lags] = float(np.mean((forecast - r[index]) ** 2))
    return min(scores, key=lambda lags: (scores[lags], lags))


def variance_targets(returns, index, horizon: int = 1) -> np.ndarray:
    """The realised per-period variance after each forecast: `mean(returns[index[i]:index[i] + horizon] ** 2)`.

    Args:
        returns: `(n,)` log returns.
        index: `(m,)` int, the first period of each target, `index[i] + horizon <= n`.
        horizon: the periods averaged.

    Example:
        >>> variance_targets([0.01, -0.02, 0.03], [0, 1], horizon=2)
        array([0.00025, 0.00065])
    """
    r = finite_series("returns", returns)
    horizon = _check_positive_int("horizon", horizon)
    index = _check_index(index, 0, len(r) - horizon, f"len(returns) - horizon = {len(r) - horizon}")
    sums = np.concatenate([[0.0], np.cumsum(r**2)])
    return (sums[index + horizon] - sums[index]) / horizon


@dataclass
class EWMA:
    """`s[t+1] = lam * s[t] + (1 - lam) * r[t]^2` from `s[0] = initial_var`; forecast `i` is `s[index[i]]`."""

    lam: float
    horizon: int
    initial_var: float
    fit_s: float = 0.0
    name: str = "ewma"

    def forecast(self, returns, index) -> np.ndarray:
        r, index = _check_forecast_args(returns, index, min_history=0)
        return _filter(self.initial_var, self.lam, (1.0 - self.lam) * r**2)[index]


@dataclass
class Garch:
    """GARCH(1,1) with fixed parameters (of returns in percent): `s[t+1] = omega + alpha e[t]^2 + beta s[t]`.

    `e[t] = 100 r[t] - mu`; the forecast of the mean over `horizon` periods of `r^2` is
    `(mean_k s[t+k] + mu^2) / 100^2`, `s[t+k] = omega * sum_{j<k-1} (alpha+beta)^j + (alpha+beta)^(k-1) s[t+1]`.
    """

    mu: float
    omega: float
    alpha: float
    beta: float
    initial_var: float  # s[0], in percent^2: arch's backcast-based variance of the first training return
    horizon: int
    converged: bool = True
    fit_s: float = 0.0
    name: str = "garch"

    def forecast(self, returns, index) -> np.ndarray:
        r, index = _check_forecast_args(returns, index, min_history=0)
        e = GARCH_SCALE * r - self.mu
        one_step = _filter(self.initial_var, self.beta, self.omega + self.alpha * e**2)[index]
        persistence = self.alpha + self.beta
        # The k-step variance is affine in the one-step one: s[t+k] = level_k + persistence^(k-1) s[t+1].
        level = np.concatenate([[0.0], np.cumsum(self.omega * persistence ** np.arange(self.horizon - 1))])
        weight = persistence ** np.arange(self.horizon)
        mean_var = level.mean() + weight.mean() * one_step
        return (mean_var + self.mu**2) / GARCH_SCALE**2


@dataclass
class HAR:
    """`intercept + coef . (r[t]^2, mean of the last 5 r^2, mean of the last 22 r^2)`, floored at `floor`."""

    horizon: int
    coef: np.ndarray  # (3,) daily, weekly, monthly
    intercept: float
    floor: float
    fit_s: float = 0.0
    name: str = "har"

    def forecast(self, returns, index) -> np.ndarray:
        r, index = _check_forecast_args(returns, index, min_history=max(HAR_WINDOWS), who="har")
        return np.maximum(self.intercept + _har_features(r, index) @ self.coef, self.floor)


def ewma(train_returns, lam: float = 0.94, horizon: int = 1, init_periods: int = 22) -> EWMA:
    """RiskMetrics' EWMA variance, started from the training returns' mean square.

    The recursion starts at `s[0] = mean(train_returns[:init_periods] ** 2)`, the zero-mean
    variance of the first training returns (RiskMetrics' convention of a zero mean), and then runs
    over the whole series; with `lam = 0.94` the start is forgotten within a few months. The
    forecast of the average variance over any horizon is the one-step one (`horizon` is recorded
    for the report, the forecast is flat).

    Args:
        train_returns: `(n,)` the training log returns.
        lam: the decay, in (0, 1): 0.94 for daily data, 0.97 for monthly (RiskMetrics).
        horizon: the periods the forecast target averages over.
        init_periods: how many of the first training returns start the recursion.

    Example:
        >>> ewma(returns[:train_end], lam=0.94).forecast(returns, index)
    """
    if not (isinstance(lam, (int, float, np.floating)) and 0 < lam < 1):
        raise ValueError(f"`lam` must lie in (0, 1). Received: lam={lam!r}")
    horizon = _check_positive_int("horizon", horizon)
    init_periods = _check_positive_int("init_periods", init_periods)
    start = time.perf_counter()
    r = finite_series("train_returns", train_returns)
    initial = float(np.mean(r[:init_periods] ** 2))
    if not initial > 0:
        raise ValueError(f"The first {init_periods} training returns are all 0: EWMA cannot start from a variance "
                         f"of 0. Received: init_periods={init_periods}")
    return EWMA(lam=float(lam), horizon=horizon, initial_var=initial, fit_s=time.perf_counter() - start)


def garch(train_returns, horizon: int = 1, mean: str = "constant") -> Garch:
    """GARCH(1,1) fitted by maximum likelihood (`arch`, normal errors) on the training returns once.

    `arch.arch_model(100 * train_returns, mean=..., vol="GARCH", p=1, q=1, dist="normal")`; the
    forecasts then filter the whole series with those parameters (see `Garch`), starting from the
    variance arch gave the first training return, so a forecast never depends on later returns.
    The h-step forecasts follow the GARCH recursion towards `omega / (1 - alpha - beta)`, and the
    forecast of the mean of `r^2` adds the squared constant mean `mu^2`.

    Args:
        train_returns: `(n,)` the training log returns (a few hundred at least).
        horizon: the periods the forecast target averages over.
        mean: `"constant"` (a constant mean `mu` is fitted) or `"zero"`.

    Raises:
        GarchUnavailable: `arch` is not installed.

    Example:
        >>> garch(returns[:train_end], horizon=5).forecast(returns, index)
    """
    try:
        from arch import arch_model
    except ImportError:
        raise GarchUnavailable(GARCH_MISSING) from None
    horizon = _check_positive_int("horizon", horizon)
    if mean not in ("constant", "zero"):
        raise ValueError(f'`mean` must be "constant" or "zero". Received: mean={mean!r}')
    r = finite_series("train_returns", train_returns)
    if len(r) < 10:
        raise ValueError(f"GARCH(1,1) needs at least 10 training returns. Received: len(train_returns)={len(r)}")
    start = time.perf_counter()
    model = arch_model(GARCH_SCALE * r, mean="Constant" if mean == "constant" else "Zero", vol="GARCH", p=1, q=1,
                       dist="normal")
    fitted = model.fit(disp="off")
    params = fitted.params
    return Garch(mu=float(params.get("mu", 0.0)), omega=float(params["omega"]), alpha=float(params["alpha[1]"]),
                 beta=float(params["beta[1]"]), initial_var=float(np.asarray(fitted.conditional_volatility)[0] ** 2),
                 horizon=horizon, converged=fitted.convergence_flag == 0, fit_s=time.perf_counter() - start)


def har(train_returns, horizon: int = 1) -> HAR:
    """HAR-RV on squared returns: `target ~ r[t]^2 + mean(r[t-4..t]^2) + mean(r[t-21..t]^2)`.

    scikit-learn's `LinearRegression`, fitted on the training targets that lie wholly inside the
    training returns (`variance_targets` from index 22 to `n - horizon`). Its forecasts are raised
    to at least `HAR_FLOOR` times the training mean of squared returns.

    Args:
        train_returns: `(n,)` the training log returns, `n >= 22 + horizon + 4`.
        horizon: the periods the forecast target averages over.

    Example:
        >>> har(returns[:train_end], horizon=5).forecast(returns, index)
    """
    from sklearn.linear_model import LinearRegression

    horizon = _check_positive_int("horizon", horizon)
    r = finite_series("train_returns", train_returns)
    first = max(HAR_WINDOWS)
    if len(r) < first + horizon + 4:
        raise ValueError(f"HAR needs at least {first + horizon + 4} training returns (22 of history, then one target "
                         f"per coefficient). Received: len(train_returns)={len(r)}, horizon={horizon}")
    start = time.perf_counter()
    index = np.arange(first, len(r) - horizon + 1)
    model = LinearRegression().fit(_har_features(r, index), variance_targets(r, index, horizon))
    return HAR(horizon=horizon, coef=model.coef_.astype(np.float64), intercept=float(model.intercept_),
               floor=HAR_FLOOR * float(np.mean(r**2)), fit_s=time.perf_counter() - start)


def forecast_returns(name: str, returns, train_end: int, index, **kwargs) -> np.ndarray:
    """Fit the return baseline `name` on `returns[:train_end]` and forecast `returns[index]`.

    Args:
        name: one of `RETURN_BASELINES`.
        returns: `(n,)` log returns.
        train_end: the end of the training returns (exclusive).
        index: `(m,)` int, the positions of the target returns.
        **kwargs: passed to the baseline (`lags=` for `autoregression`).

    Example:
        >>> forecast_returns("autoregression", returns, 2000, np.arange(2000, len(returns)), lags=2)
    """
    builders = {"zero_return": zero_return, "historical_mean": historical_mean, "autoregression": autoregression}
    return _fit_and_forecast(builders, "return", name, returns, train_end, index, kwargs)


def forecast_variance(name: str, returns, train_end: int, index, *, horizon: int = 1, **kwargs) -> np.ndarray:
    """Fit the variance baseline `name` on `returns[:train_end]`; forecast `variance_targets(returns, index, horizon)`.

    Args:
        name: one of `VARIANCE_BASELINES`.
        returns: `(n,)` log returns.
        train_end: the end of the training returns (exclusive).
        index: `(m,)` int, the first period of each target.
        horizon: the periods each target averages over.
        **kwargs: passed to the baseline (`lam=` for `ewma`, `mean=` for `garch`).

    Raises:
        GarchUnavailable: `name="garch"` without `arch` installed.

    Example:
        >>> forecast_variance("ewma", returns, 2000, np.arange(2000, len(returns) - 4), horizon=5)
    """
    builders = {"ewma": ewma, "garch": garch, "har": har}
    return _fit_and_forecast(builders, "variance", name, returns, train_end, index, dict(kwargs, horizon=horizon))


def _fit_and_forecast(builders: dict, kind: str, name: str, returns, train_end, index, kwargs) -> np.ndarray:
    if name not in builders:
        raise ValueError(f"Unknown {kind} baseline. Accepted: {', '.join(builders)}. Received: name={name!r}")
    accepted = [p for p in inspect.signature(builders[name]).parameters if p != "train_returns"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(f"`{name}` takes {', '.join(accepted) or 'no options'}, not {', '.join(unknown)}. "
                         f"Received: {', '.join(f'{k}={kwargs[k]!r}' for k in unknown)}")
    r = finite_series("returns", returns)
    if not isinstance(train_end, (int, np.integer)) or not 0 < train_end <= len(r):
        raise ValueError(f"`train_end` must be an integer in 1..len(returns) = {len(r)}. "
                         f"Received: train_end={train_end!r}")
    return builders[name](r[:train_end], **kwargs).forecast(r, index)


def _filter(initial: float, decay: float, inputs: np.ndarray) -> np.ndarray:
    """`s[0] = initial`, `s[t+1] = decay * s[t] + inputs[t]`: `(len(inputs) + 1,)`, `s[k]` uses `inputs[:k]`."""
    import scipy.signal

    if len(inputs) == 0:
        return np.array([initial])
    after, _ = scipy.signal.lfilter([1.0], [1.0, -decay], inputs, zi=[decay * initial])
    return np.concatenate([[initial], after])


def _lagged(r: np.ndarray, index: np.ndarray, lags: int) -> np.ndarray:
    """`(m, lags)`: row i is `r[index[i] - 1], r[index[i] - 2], ..., r[index[i] - lags]`."""
    return r[index[:, None] - 1 - np.arange(lags)[None, :]]


def _har_features(r: np.ndarray, index: np.ndarray) -> np.ndarray:
    """`(m, 3)`: the means of the last 1, 5 and 22 squared returns before each `index[i]`."""
    sums = np.concatenate([[0.0], np.cumsum(r**2)])
    return np.stack([(sums[index] - sums[index - w]) / w for w in HAR_WINDOWS], axis=1)


def _check_index(index, lowest: int, highest: int, bound: str) -> np.ndarray:
    array = np.asarray(index)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(f"`index` must be a 1-D integer array. Received: index.dtype={array.dtype}, "
                         f"index.shape={array.shape}")
    array = array.astype(np.int64)
    if array.size and (array.min() < lowest or array.max() > highest):
        bad = int(array.min() if array.min() < lowest else array.max())
        raise ValueError(f"`index` must lie in {lowest}..{bound}. Received: index containing {bad}")
    return array


def _check_forecast_args(returns, index, min_history: int, who: str = "") -> tuple[np.ndarray, np.ndarray]:
    r = finite_series("returns", returns)
    bound = f"len(returns) = {len(r)}"
    if min_history and who:
        bound += f" ({who} needs {min_history} returns before each target)"
    return r, _check_index(index, min_history, len(r), bound)


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)
