"""Time-series finance: forecasting returns and volatility, against the random walk, EWMA and GARCH."""
