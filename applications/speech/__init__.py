"""The speech (keyword spotting) application."""
