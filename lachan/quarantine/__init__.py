"""Quarantine and isolation orders, daily monitoring, geofence, release. Issue #5."""
