"""Moved to lachan.core.decorators (issue 13); this alias goes once every caller imports it from there."""

from lachan.core.decorators import staff_view  # noqa: F401
