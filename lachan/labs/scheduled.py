"""Periodic jobs of the labs app (found by core.scheduler.autodiscover). Job names are stored: never rename."""

from lachan.core.scheduler import periodic

from .dashboard.stats import result_stats_count

# The results released each day, counted ahead for the dashboard and the advice, after midnight.
periodic("labs.count_results", every="daily", at="00:20")(result_stats_count)
