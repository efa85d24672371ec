from enum import StrEnum


class GeoErrorCode(StrEnum):
    UNKNOWN_TREE = "geo_unknown_tree"
    UNKNOWN_PROVINCE = "geo_unknown_province"
    UNKNOWN_UNIT = "geo_unknown_unit"
    NOT_A_COMMUNE = "geo_not_a_commune"
    BAD_FILE = "geo_bad_file"
    BAD_ROW = "geo_bad_row"
