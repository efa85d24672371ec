"""Quarantine and isolation orders: planning and creating them (one or a batch, by the policy in force), changing,
ending and releasing them, their pages, API and documents (with the facilities' pages and API, for now)."""

from .create import Created, OrdersCreated, Skipped, code_prefix, order_create, orders_create_many
from .plan import OrderIn
from .selectors import (
    DUE_CHOICES,
    FacilityUse,
    Progress,
    RoomUse,
    due_counts,
    facilities_in_scope,
    facilities_occupancy,
    facility_choices,
    facility_communes,
    facility_get,
    facility_list,
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
    room_get,
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
    "DUE_CHOICES", "Created", "FacilityUse", "OrderIn", "OrdersCreated", "Progress", "Released", "RoomUse", "Skipped",
    "code_prefix", "due_counts", "facilities_in_scope", "facilities_occupancy", "facility_choices",
    "facility_communes", "facility_get", "facility_list", "order_by_code",
    "order_communes", "order_create", "order_end_early", "order_extend", "order_get", "order_history", "order_list",
    "order_move", "order_progress", "order_regime_day", "order_release", "order_tests", "orders_audited",
    "orders_create_many", "orders_due_summary", "orders_in_scope", "orders_release_many", "person_candidates",
    "person_get", "person_orders", "policy_on", "policy_versions", "room_get",
    "tests_mark_sampled",
]
