"""Quarantine and isolation facilities and their rooms: reading and writing them, and their occupancy (a bed a
person, on every day of their stay). Their pages and API are the orders' (lachan.quarantine.orders): a facility's
page lists the orders staying there, and facilities do not read orders' modules."""

from .selectors import (
    FacilityUse,
    RoomUse,
    facilities_in_scope,
    facilities_occupancy,
    facility_choices,
    facility_get,
    facility_list,
    room_get,
)
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
    "FACILITY_FIELDS", "FacilityUse", "RoomUse", "commune_clean", "coordinates_clean", "facilities_in_scope",
    "facilities_occupancy", "facility_choices", "facility_create", "facility_get", "facility_list",
    "facility_update", "peak", "room_check", "room_create", "room_full_error", "room_get", "room_stays",
    "room_update", "stay_of", "unit_get",
]
