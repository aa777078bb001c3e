"""How good is a forecast of returns or volatility, is it better than a baseline's, and does it make money?

Conventions of the application: a series is a 1-D array of log returns `r`; a forecast is aligned
with its target (`forecast[i]` is made with the information up to `t_i`, for `target[i]` after
`t_i`); variances are per-period variances of returns in the series' own period (daily for daily
data).

- Point errors of a return forecast: `rmse`, `mae`, `directional_accuracy`.
- Losses of a variance forecast: `qlike` (Patton 2011, "Volatility forecast comparison using
  imperfect volatility proxies", https://doi.org/10.1016/j.jeconom.2010.03.034): with a noisy but
  unbiased proxy of the true variance (a squared return), QLIKE and MSE are the losses that rank
  forecasts as the true variance would; QLIKE is the one that stays usable when the variance is
  heavy-tailed, since it penalises relative, not absolute, errors.
- Is model A better than model B: `diebold_mariano` (Diebold and Mariano 1995, "Comparing
  Predictive Accuracy", https://doi.org/10.1080/07350015.1995.10524599) with the small-sample
  correction of Harvey, Leybourne and Newbold 1997 ("Testing the equality of prediction mean
  squared errors", https://doi.org/10.1016/S0169-2070(96)00719-4), on per-observation losses
  (`mse_losses`, `qlike_losses`); `verdict` turns it into a sentence.
- Does a return forecast make money: `backtest`, a long/flat rule with transaction costs against
  buy-and-hold, Sharpe ratio as in Sharpe 1994 ("The Sharpe Ratio",
  https://doi.org/10.3905/jpm.1994.409501) with a risk-free rate of 0.

No TensorFlow here: numpy and scipy.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

# A realised variance of exactly 0 (an unchanged price) would make `log(rv / f)` infinite: QLIKE
# raises it to this fraction of the mean realised variance (see `qlike_losses`).
ZERO_VARIANCE_FLOOR = 1e-6

# `periods_per_year` reads the median spacing of the dates, in days, against these upper bounds.
_SPACINGS = ((4.0, 252), (10.0, 52), (60.0, 12), (180.0, 4), (500.0, 1))
# Daily data with at least this share of Saturdays and Sundays trades every day (crypto): 365 a year.
_WEEKEND_SHARE = 0.1


def rmse(y, f) -> float:
    """Root mean squared error of the forecasts `f` of the targets `y`.

    Example:
        >>> rmse([0.01, -0.02], [0.0, 0.0])
        0.0158...
    """
    y, f = _pair(y, f)
    return float(np.sqrt(np.mean((f - y) ** 2)))


def mae(y, f) -> float:
    """Mean absolute error of the forecasts `f` of the targets `y`."""
    y, f = _pair(y, f)
    return float(np.mean(np.abs(f - y)))


def directional_accuracy(y, f) -> float:
    """The share of periods whose direction the forecast called right: up (`> 0`) or not up (`<= 0`).

    The forecast predicts "up" iff `f > 0`, the period was "up" iff `y > 0`, and every period
    counts. A forecast of exactly 0 calls "not up", so the random walk's forecast of 0 scores the
    share of periods that were not up: read a model's accuracy against
    `max(share up, 1 - share up)`, what a constant call achieves.

    Example:
        >>> directional_accuracy([0.01, -0.02, 0.0, 0.03], [0.5, 0.1, -1.0, 0.0])
        0.5
    """
    y, f = _pair(y, f)
    return float(np.mean((f > 0) == (y > 0)))


def mse_losses(y, f) -> np.ndarray:
    """Per-observation squared errors `(f - y)^2`, for `diebold_mariano`."""
    y, f = _pair(y, f)
    return (f - y) ** 2


def qlike_losses(realised_var, forecast_var) -> np.ndarray:
    """Per-observation QLIKE `rv / f - log(rv / f) - 1`: 0 for a perfect forecast, > 0 otherwise.

    Patton 2011 (https://doi.org/10.1016/j.jeconom.2010.03.034), the loss robust to the noise of
    the proxy `rv` (a squared return, or the mean of a few): it ranks forecasts as the true
    variance would. It is asymmetric: forecasting half the variance costs more than twice.

    A realised variance of exactly 0 (an unchanged price) is raised to `ZERO_VARIANCE_FLOOR` times
    the mean realised variance. The floor depends on the realised variances only, so every forecast
    of the same targets gets the same one: the difference of two forecasts' losses (what
    `diebold_mariano` tests) changes by `floor / f_a - floor / f_b`, negligible, while each one's
    mean QLIKE grows by about the same amount.

    Args:
        realised_var: `(n,)` the realised per-period variances, `>= 0`, not all 0.
        forecast_var: `(n,)` their forecasts, `> 0`.

    Returns:
        `(n,)` float64.

    Example:
        >>> qlike_losses([1.0, 4.0], [1.0, 2.0])
        array([0.        , 0.30685282])
    """
    rv, f = _pair(realised_var, forecast_var, names=("realised_var", "forecast_var"))
    if (rv < 0).any():
        raise ValueError(f"Realised variances must be >= 0. Received: realised_var.min()={float(rv.min())!r}")
    if (f <= 0).any():
        k = int(np.argmin(f))
        raise ValueError("Variance forecasts must be > 0 (QLIKE takes their logarithm); clip a model's output to a "
                         f"small positive floor. Received: forecast_var[{k}]={float(f[k])!r}")
    if not (rv > 0).any():
        raise ValueError("QLIKE needs some positive realised variance. Received: realised_var all 0")
    rv = np.maximum(rv, ZERO_VARIANCE_FLOOR * rv.mean())
    ratio = rv / f
    return ratio - np.log(ratio) - 1.0


def qlike(realised_var, forecast_var) -> float:
    """Mean QLIKE of variance forecasts (see `qlike_losses`): 0 for a perfect forecast, lower is better.

    Example:
        >>> qlike([1.0, 4.0], [1.0, 2.0])
        0.1534...
    """
    return float(np.mean(qlike_losses(realised_var, forecast_var)))


def diebold_mariano(loss_a, loss_b, *, horizon: int = 1) -> dict:
    """Do forecasts A and B have the same expected loss? Two-sided Diebold-Mariano test, HLN-corrected.

    With `d = loss_a - loss_b` (n observations, mean `d_bar`), the autocovariances
    `gamma_k = (1/n) sum_{t>k} (d_t - d_bar)(d_{t-k} - d_bar)` and the long-run variance
    `V = gamma_0 + 2 sum_{k=1}^{h-1} gamma_k` (rectangular window: the errors of h-step forecasts
    are at most MA(h-1)), Diebold and Mariano 1995 (https://doi.org/10.1080/07350015.1995.10524599)
    take `DM = d_bar / sqrt(V / n)`. Harvey, Leybourne and Newbold 1997
    (https://doi.org/10.1016/S0169-2070(96)00719-4) correct it for small samples,
    `DM* = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n)`, and compare it with Student's t with `n - 1`
    degrees of freedom. For `h = 1`, `DM*` is the one-sample t statistic of `d`.

    When the long-run variance is not positive (identical losses, a constant difference, or a
    negative rectangular-window estimate for `h > 1`), the test has nothing to measure the
    difference against: it returns `statistic=0.0, p_value=1.0` (no evidence either way), never NaN.

    Args:
        loss_a: `(n,)` per-observation losses of forecast A (e.g. `mse_losses`, `qlike_losses`).
        loss_b: `(n,)` those of forecast B, on the same targets.
        horizon: the forecast horizon `h` in periods, `1 <= h < n`.

    Returns:
        A dict (JSON-ready): `statistic` (HLN-corrected), `p_value` (two-sided), `mean_difference`
        (`mean_a - mean_b`: negative means A had the lower loss), `n`, `horizon`, `mean_a` and
        `mean_b` (the mean losses, which `verdict` turns into a percentage).

    Example:
        >>> dm = diebold_mariano(mse_losses(y, model), mse_losses(y, np.zeros_like(y)))
        >>> dm["p_value"] < 0.05 and dm["mean_difference"] < 0  # the model beat the random walk
    """
    import scipy.stats

    a, b = _pair(loss_a, loss_b, names=("loss_a", "loss_b"))
    n = len(a)
    if isinstance(horizon, bool) or int(horizon) != horizon or not 1 <= horizon < n:
        raise ValueError(f"`horizon` must be an integer in 1..n-1 (n={n} losses). Received: horizon={horizon!r}")
    h = int(horizon)
    d = a - b
    d_bar = float(d.mean())
    result = dict(mean_difference=d_bar, n=n, horizon=h, mean_a=float(a.mean()), mean_b=float(b.mean()))
    dev = d - d_bar
    gammas = [float(dev[k:] @ dev[:n - k]) / n for k in range(h)]
    variance = gammas[0] + 2.0 * sum(gammas[1:])
    # "Not positive" up to rounding: a constant difference leaves V ~ 1e-32 * d^2, not exactly 0.
    if not variance > 1e-12 * float(np.mean(d**2)):
        return {"statistic": 0.0, "p_value": 1.0, **result}
    dm = d_bar / np.sqrt(variance / n)
    # n + 1 - 2h + h(h-1)/n = (n - h)(n - h + 1)/n > 0 for h < n.
    statistic = float(dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))
    p_value = float(2.0 * scipy.stats.t.sf(abs(statistic), df=n - 1))
    return {"statistic": statistic, "p_value": p_value, **result}


def verdict(name: str, baseline: str, dm, *, alpha: float = 0.05, lower_is_better: bool = True,
            loss_name: str = "loss") -> str:
    """One plain sentence: did `name` beat `baseline`, by how much, and is it significant?

    It says "did not beat" whenever the model's mean loss is not better, or is better but not
    significantly at level `alpha`.

    Args:
        name: the model, as the sentence should name it (e.g. `"lstm_frames"`).
        baseline: the baseline, likewise (e.g. `"the random walk"`).
        dm: `diebold_mariano(model losses, baseline losses)`: the model is A, the baseline B.
        alpha: the significance level.
        lower_is_better: `True` for a loss; `False` for a score compared by the same test.
        loss_name: the name of the loss in the sentence (`"MSE"`, `"QLIKE"`).

    Example:
        >>> verdict("lstm_frames", "the random walk", diebold_mariano(loss_lstm, loss_rw), loss_name="MSE")
        'lstm_frames did not beat the random walk: its MSE is 1.3% higher (Diebold–Mariano p = 0.41).'
    """
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must lie in (0, 1). Received: alpha={alpha!r}")
    if not isinstance(dm, Mapping) or not {"mean_difference", "p_value", "mean_b"} <= set(dm):
        raise ValueError("`dm` must be the dict of `diebold_mariano`, with mean_difference, p_value and mean_b. "
                         f"Received: dm of type {type(dm).__name__}"
                         + (f" with keys {sorted(dm)}" if isinstance(dm, Mapping) else ""))
    diff, p, base = float(dm["mean_difference"]), float(dm["p_value"]), float(dm["mean_b"])
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.2g}"
    if diff == 0:
        return f"{name} did not beat {baseline}: their {loss_name} is the same (Diebold–Mariano {p_text})."
    direction = "higher" if diff > 0 else "lower"
    size = (f"{abs(diff) / abs(base):.1%} {direction}" if base != 0 and np.isfinite(base)
            else f"{direction} by {abs(diff):.3g}")
    better = (diff < 0) == lower_is_better
    significant = p < alpha
    if better and significant:
        return f"{name} beat {baseline} with statistical significance: {loss_name} {size}, {p_text}."
    if better:
        return (f"{name} did not beat {baseline} significantly: its {loss_name} is {size}, but the difference is "
                f"not significant (Diebold–Mariano {p_text}).")
    worse = ", significantly worse" if significant else ""
    return f"{name} did not beat {baseline}: its {loss_name} is {size}{worse} (Diebold–Mariano {p_text})."


def backtest(returns, signal, *, cost_bps: float = 5.0, periods_per_year: int = 252) -> dict:
    """Trade a forecast: long when the signal is positive, flat otherwise, against buy-and-hold.

    `position_i = 1 if signal_i > 0 else 0` is held over the period whose log return is
    `returns_i` (the signal was formed before it), so the strategy's simple return is
    `R_i = position_i * (exp(returns_i) - 1) - cost_bps / 1e4 * |position_i - position_{i-1}|`, with
    a position of 0 before the first period: entering costs once, and a position still open at the
    end is not charged for closing. Buy-and-hold is always long: one entry cost.

    Each side's record, simple returns `R` net of costs, a risk-free rate of 0:

    - `cumulative_return`: `prod(1 + R) - 1`;
    - `annualised_return`: `(1 + cumulative_return) ** (periods_per_year / n) - 1`;
    - `sharpe`: `mean(R) / std(R, ddof=1) * sqrt(periods_per_year)` (Sharpe 1994); `None` when it
      is undefined: fewer than 2 periods, or returns without variation (a rule that never enters
      the market, or a constant return), rather than 0 or an infinity;
    - `max_drawdown`: the largest fall of the equity from its running peak, the starting 1
      included, as a positive fraction of the peak;
    - `trades`: position changes, the first entry included; `exposure`: the share of periods long;
    - `equity`: `(n,)` the value of 1 invested, after each period, for plotting (the only array).

    Args:
        returns: `(n,)` log returns of the traded periods.
        signal: `(n,)` the forecast (or any score) made before each period; only its sign is used.
        cost_bps: the cost of one position change, in basis points of the position.
        periods_per_year: for the annualised return and Sharpe ratio (see `periods_per_year()`).

    Returns:
        `{"strategy": record, "buy_and_hold": record, "cost_bps": ..., "periods_per_year": ...}`.

    Example:
        >>> result = backtest(test_returns, model_forecast, cost_bps=5, periods_per_year=252)
        >>> result["strategy"]["sharpe"], result["buy_and_hold"]["sharpe"]
    """
    r, s = _pair(returns, signal, names=("returns", "signal"))
    if not (np.isfinite(cost_bps) and cost_bps >= 0):
        raise ValueError(f"`cost_bps` must be a finite number >= 0. Received: cost_bps={cost_bps!r}")
    if isinstance(periods_per_year, bool) or int(periods_per_year) != periods_per_year or periods_per_year < 1:
        raise ValueError("`periods_per_year` must be a positive integer. "
                         f"Received: periods_per_year={periods_per_year!r}")
    asset, per_year = np.expm1(r), int(periods_per_year)
    return {"strategy": _performance(asset, (s > 0).astype(np.float64), cost_bps, per_year),
            "buy_and_hold": _performance(asset, np.ones_like(asset), cost_bps, per_year),
            "cost_bps": float(cost_bps), "periods_per_year": per_year}


def _performance(asset: np.ndarray, positions: np.ndarray, cost_bps: float, per_year: int) -> dict:
    changes = np.abs(np.diff(positions, prepend=0.0))
    period = positions * asset - cost_bps / 1e4 * changes
    equity = np.cumprod(1.0 + period)
    final = float(equity[-1])
    annualised = final ** (per_year / len(period)) - 1.0 if final > 0 else -1.0
    peaks = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    sharpe = None
    if len(period) >= 2:
        mean, std = float(period.mean()), float(period.std(ddof=1))
        # "Without variation" up to rounding: a constant return's std is ~1e-18, not exactly 0.
        if std > 1e-12 * max(abs(mean), np.finfo(np.float64).tiny):
            sharpe = mean / std * float(np.sqrt(per_year))
    return {"cumulative_return": final - 1.0, "annualised_return": float(annualised), "sharpe": sharpe,
            "max_drawdown": float(np.max(1.0 - equity / peaks)), "trades": int(np.count_nonzero(changes)),
            "exposure": float(positions.mean()), "equity": equity}


def periods_per_year(dates) -> int:
    """How many periods a year the dates make, from their median spacing: 252, 52, 12, 4 or 1.

    Daily (median spacing under 4 days, weekends and holidays skipped) gives 252 trading days, or
    365 when at least 10% of the dates fall on a Saturday or Sunday (a market open every day);
    weekly (under 10 days) 52; monthly (under 60) 12; quarterly (under 180) 4; annual (under 500) 1.

    Args:
        dates: `(n,)` ascending dates, numpy `datetime64` (or anything `np.asarray(..., "datetime64")`
            reads, e.g. ISO strings or a pandas DatetimeIndex), `n >= 2`.

    Example:
        >>> periods_per_year(np.array(["2024-01-31", "2024-02-29", "2024-03-31"], dtype="datetime64[D]"))
        12
    """
    try:
        values = np.asarray(dates, dtype="datetime64[s]")
    except (TypeError, ValueError) as error:
        raise ValueError(f"`dates` must be numpy datetime64 dates. Received: {error}") from None
    if values.ndim != 1 or len(values) < 2 or np.isnat(values).any():
        raise ValueError(f"`dates` must hold at least 2 dates, none missing. Received: dates.shape={values.shape}")
    steps = np.diff(values).astype(np.float64) / 86400.0
    if (steps <= 0).any():
        k = int(np.argmax(steps <= 0))
        raise ValueError(f"`dates` must be strictly ascending. Received: dates[{k}]={values[k]}, "
                         f"dates[{k + 1}]={values[k + 1]}")
    spacing = float(np.median(steps))
    if spacing < 1.0:
        raise ValueError(f"Intraday data is not supported: daily, weekly, monthly, quarterly or annual dates are. "
                         f"Received: a median spacing of {spacing * 24:.3g} hours")
    for upper, per_year in _SPACINGS:
        if spacing < upper:
            if per_year == 252:
                weekday = (values.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
                if np.mean(weekday >= 5) >= _WEEKEND_SHARE:
                    return 365
            return per_year
    raise ValueError(f"Dates further apart than annual are not supported. Received: a median spacing of "
                     f"{spacing:.0f} days")


def finite_series(name: str, values) -> np.ndarray:
    """`values` as a float64 array, checked to be non-empty, 1-D and finite (a ValueError naming `name` if not)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D array. Received: {name}.shape={array.shape}")
    if not np.isfinite(array).all():
        k = int(np.argmax(~np.isfinite(array)))
        raise ValueError(f"`{name}` must be finite. Received: {name}[{k}]={float(array[k])!r}")
    return array


def _pair(first, second, names: tuple[str, str] = ("y", "f")) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(first), np.asarray(second)
    if a.shape != b.shape:
        raise ValueError(f"`{names[0]}` and `{names[1]}` must have the same shape, one value per period. "
                         f"Received: {names[0]}.shape={a.shape}, {names[1]}.shape={b.shape}")
    return finite_series(names[0], a), finite_series(names[1], b)
