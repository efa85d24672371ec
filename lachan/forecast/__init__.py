"""Reproduction number R(t) and short-term forecasts."""
