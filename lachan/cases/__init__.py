"""Confirmed cases (F0): lifecycle, status, clusters. Issue #3."""
