"""Lockdown areas (vùng phong tỏa): drawn or imported shapes in force for a period, a measure of the risk domain.
The writes are in services.py, the reads in selectors.py; their pages draw on the map (lachan.situation.views)."""

from .selectors import in_force_q, lockdown_area_get, lockdown_areas_in_force, lockdown_areas_in_scope
from .services import (
    MAX_FEATURES,
    MAX_RESIDENTS,
    PROPERTY_NAMES,
    CheckedArea,
    lockdown_area_create,
    lockdown_area_delete,
    lockdown_area_lift,
    lockdown_area_update,
    lockdown_areas_import,
    lockdown_geometry_check,
    province_unit,
)

__all__ = [
    "MAX_FEATURES", "MAX_RESIDENTS", "PROPERTY_NAMES", "CheckedArea", "in_force_q", "lockdown_area_create",
    "lockdown_area_delete", "lockdown_area_get", "lockdown_area_lift", "lockdown_area_update",
    "lockdown_areas_import", "lockdown_areas_in_force", "lockdown_areas_in_scope", "lockdown_geometry_check",
    "province_unit",
]
