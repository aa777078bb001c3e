"""Pictures of a finance run over its test period: forecasts on the price, volatility, equity, residuals."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def price_figure(dates, close, forecast_price, *, name: str, model: str) -> Figure:
    """The price over the test period, and each day's forecast of it made the day before."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    ax.plot(dates, close, label=f"{name} price", linewidth=1.2, color="black")
    ax.plot(dates, forecast_price, label=f"{model}: forecast made the period before", linewidth=1.0, alpha=0.8)
    return _finish(fig, ax, f"{name}: price and one-step forecasts over the test period", "price")


def volatility_figure(dates, realised, forecasts: dict[str, np.ndarray], *, periods_per_year: int,
                      horizon: int) -> Figure:
    """Realised volatility over the next `horizon` periods against each method's forecast, annualised."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    scale = np.sqrt(periods_per_year) * 100
    ax.plot(dates, np.sqrt(realised) * scale, color="black", linewidth=0.8, alpha=0.6, label="realised")
    for k, (label, values) in enumerate(forecasts.items()):
        ax.plot(dates, np.sqrt(values) * scale, "-" if k == 0 else "--", linewidth=1.2, label=label)
    return _finish(fig, ax, f"Volatility over the next {horizon} period(s), annualised: forecast against realised",
                   "% a year")


def equity_figure(dates, curves: dict[str, np.ndarray], *, cost_bps: float) -> Figure:
    """Growth of 1 invested: the long/flat rule on the forecast's sign against buy-and-hold."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    for label, equity in curves.items():
        ax.plot(dates, equity, linewidth=1.2, label=label)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    return _finish(fig, ax, f"Equity over the test period ({cost_bps:g} bp a trade)", "value of 1 invested")


def residuals_figure(dates, residuals, *, model: str) -> Figure:
    """Return forecast errors over time, and their histogram."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(2, 1))
    left.plot(dates, residuals, linewidth=0.7)
    left.axhline(0.0, color="grey", linewidth=0.8)
    left.set_title(f"{model}: realised minus forecast return", fontsize=10)
    left.grid(alpha=0.3)
    right.hist(residuals, bins=40)
    right.set_title("distribution", fontsize=10)
    for label in left.get_xticklabels():
        label.set_rotation(30)
    return fig


def _finish(fig: Figure, ax, title: str, ylabel: str) -> Figure:
    """The common dress of a time-series panel: title, axis label, grid, legend, slanted dates."""
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig
