from enum import StrEnum


class NotificationError(StrEnum):
    UNKNOWN_CHANNEL = "notifications.unknown_channel"
    UNKNOWN_TEMPLATE = "notifications.unknown_template"
    UNKNOWN_LANGUAGE = "notifications.unknown_language"
    BAD_ADDRESS = "notifications.bad_address"
    BAD_CONTEXT = "notifications.bad_context"
    BAD_TEMPLATE = "notifications.bad_template"
    NOT_FOUND = "notifications.not_found"
    NOT_RETRYABLE = "notifications.not_retryable"
