"""Citizen feedback and service requests (Open311 GeoReport v2)."""
