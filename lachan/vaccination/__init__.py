"""Vaccination doses, coverage, signed EU-DCC certificates."""
