from .base import Evidence, ExposureSource, Window, register_source, registered_sources, unregister_source

__all__ = ["Evidence", "ExposureSource", "Window", "register_source", "registered_sources", "unregister_source",
           "register_defaults"]


def register_defaults() -> None:
    from .household import HouseholdSource
    from .interview import InterviewSource
    from .proximity import ProximitySource
    from .venue import VenueSource

    for source in (HouseholdSource(), VenueSource(), ProximitySource(), InterviewSource()):
        register_source(source)
