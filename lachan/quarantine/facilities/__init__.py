"""Quarantine and isolation facilities and their rooms: writing them, and the occupancy of a room (a bed a
person, on every day of their stay). Their pages and API are still the orders' (lachan.quarantine.orders)."""

from .services import (
    FACILITY_FIELDS,
    commune_clean,
    coordinates_clean,
    facility_create,
    facility_update,
    peak,
    room_check,
    room_create,
    room_full_error,
    room_stays,
    room_update,
    stay_of,
    unit_get,
)

__all__ = [
    "FACILITY_FIELDS", "commune_clean", "coordinates_clean", "facility_create", "facility_update", "peak",
    "room_check", "room_create", "room_full_error", "room_stays", "room_update", "stay_of", "unit_get",
]
