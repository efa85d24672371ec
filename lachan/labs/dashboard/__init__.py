"""The laboratories' dashboard: turnaround, waiting tubes, positivity, the results counted ahead and the
advice read from them (PLAN13 B.2)."""

from .advice import (
    Advice,
    AdviceTable,
    CommuneAdvice,
    advice_table,
    advise,
    best_pool_size,
    communes_for,
    communes_of,
    first_day,
    kits_saved,
    province_positivity,
    tests_per_person,
)
from .services import (
    CommunePositivity,
    Dashboard,
    DashScope,
    DayPositivity,
    HoursBin,
    Turnaround,
    WaitingRow,
    commune_counts,
    dashboard,
    dashboard_scope,
    percentile_of_histogram,
    positivity_by_commune,
    positivity_by_day,
    positivity_svg,
    turnaround,
    waiting,
)
from .stats import (
    LocalDay,
    LocalHour,
    positive_pools,
    positivity_percent,
    released_results,
    result_counts,
    result_stats_count,
    result_stats_reset,
    stats_refresh,
)

__all__ = [
    "HoursBin", "DashScope", "dashboard_scope", "WaitingRow", "waiting", "Turnaround",
    "percentile_of_histogram", "turnaround", "CommunePositivity", "commune_counts", "positivity_by_commune",
    "DayPositivity", "positivity_by_day", "positivity_svg", "Dashboard", "dashboard", "LocalDay", "LocalHour",
    "released_results", "stats_refresh", "result_stats_count", "result_stats_reset", "result_counts",
    "positivity_percent", "positive_pools", "tests_per_person", "best_pool_size", "kits_saved", "first_day",
    "province_positivity", "Advice", "CommuneAdvice", "AdviceTable", "advise", "advice_table", "communes_of",
    "communes_for",
]
