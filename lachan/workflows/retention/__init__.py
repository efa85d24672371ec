"""What was collected for tracing is deleted past the tracing horizon."""

from .services import (
    tracing_data_delete,
    tracing_horizon,
    tracing_retention_job,
)

__all__ = [
    "tracing_data_delete",
    "tracing_horizon",
    "tracing_retention_job",
]
