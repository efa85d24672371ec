"""The error codes of the map and the operations centre (stable: API clients read them). A lockdown file that is
not valid is the risk domain's code (RiskErrorCode.FILE_INVALID): its services read the file."""

from __future__ import annotations

from enum import StrEnum


class SituationErrorCode(StrEnum):
    MAP_LAYER_UNKNOWN = "map_layer_unknown"
    MAP_LEVEL_INVALID = "map_level_invalid"
    MAP_DATE_INVALID = "map_date_invalid"
    MAP_LAYER_PRIVATE = "map_layer_private"
    MAP_PERMISSION = "map_permission"
    OPERATIONS_PERMISSION = "operations_permission"
