"""Quarantine and isolation orders: planning and creating them (one or a batch, by the policy in force), changing,
ending and releasing them, their pages, API and documents, with the facilities' pages and API."""

from .create import Created, OrdersCreated, Skipped, code_prefix, order_create, orders_create_many
from .plan import OrderIn
from .selectors import (
    DUE_CHOICES,
    Progress,
    due_counts,
    facility_communes,
    order_by_code,
    order_communes,
    order_get,
    order_history,
    order_list,
    order_progress,
    order_regime_day,
    order_tests,
    orders_audited,
    orders_in_scope,
    person_candidates,
    person_get,
    person_orders,
    policy_on,
    policy_versions,
)
from .services import (
    Released,
    order_end_early,
    order_extend,
    order_move,
    order_release,
    orders_due_summary,
    orders_release_many,
    tests_mark_sampled,
)

__all__ = [
    "Created", "DUE_CHOICES", "OrderIn", "OrdersCreated", "Progress", "Released", "Skipped", "code_prefix",
    "due_counts", "facility_communes", "order_by_code", "order_communes", "order_create", "order_end_early",
    "order_extend", "order_get", "order_history", "order_list", "order_move", "order_progress", "order_regime_day",
    "order_release", "order_tests", "orders_audited", "orders_create_many", "orders_due_summary", "orders_in_scope",
    "orders_release_many", "person_candidates", "person_get", "person_orders", "policy_on", "policy_versions",
    "tests_mark_sampled",
]
