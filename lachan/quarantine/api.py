"""Quarantine API: orders and facilities (orders.api), daily check-ins, location pings and alerts (monitoring.api)."""

from ninja import Router

from .monitoring.api import router as monitoring_router
from .orders.api import router as orders_router

router = Router(tags=["quarantine"])
router.add_router("", orders_router)
router.add_router("", monitoring_router)
