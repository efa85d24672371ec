"""Periodic jobs of the workflows (found by core.scheduler.autodiscover). Job names are stored: never rename."""

from lachan.core.scheduler import periodic

from .quarantine_orders.services import quarantine_tests_results
from .retention.services import tracing_retention_job
from .risk_levels.services import risk_levels_daily


@periodic("workflows.quarantine_tests_results", every_minutes=5)
def quarantine_tests_results_job() -> int:
    """Required tests sampled whose tube has a released result get it."""
    return quarantine_tests_results()


@periodic("workflows.risk_levels", every="daily", at="06:30")
def risk_levels_job() -> str:
    """Each morning, the day before's level of every unit (its window of cases is complete)."""
    return risk_levels_daily()


@periodic("workflows.tracing_retention", every="daily", at="02:30")
def tracing_retention() -> str:
    """What was collected for tracing (check-ins, proximity, location pings) is deleted past the tracing horizon."""
    return tracing_retention_job()
