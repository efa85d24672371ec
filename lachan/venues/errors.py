from enum import StrEnum


class VenueErrorCode(StrEnum):
    NOT_FOUND = "venue_not_found"
    PERMISSION = "venue_permission"
    QR_MALFORMED = "venue_qr_malformed"
    QR_FORGED = "venue_qr_forged"
    QR_UNKNOWN = "venue_qr_unknown"
    INACTIVE = "venue_inactive"
    NAME_REQUIRED = "venue_name_required"
    KIND_INVALID = "venue_kind_invalid"
    SIZE_INVALID = "venue_size_invalid"
    COORDINATES_INVALID = "venue_coordinates_invalid"
    CHECKIN_NOT_FOUND = "checkin_not_found"
    TIME_FUTURE = "checkin_time_future"
    TIME_TOO_OLD = "checkin_time_too_old"
    TIME_INVALID = "checkin_time_invalid"
    CHECKOUT_BEFORE = "checkout_before_checkin"
    STAY_TOO_LONG = "checkin_stay_too_long"
    PERSON_UNKNOWN = "checkin_person_unknown"
    CLIENT_KEY_INVALID = "checkin_client_key_invalid"
    IMPORT_FILE = "logbook_file_invalid"
    IMPORT_ROWS = "logbook_rows_invalid"
