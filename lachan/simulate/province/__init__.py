"""The synthetic province: people in households, and the places the next capabilities need
(`manage.py simulate_province`). The generator is in generator.py (people.py, places.py), the removal in
cleanup.py, the fast writes in bulk.py."""

from .cleanup import real_data_exists, synthetic_delete, synthetic_exists
from .common import DEFAULT_AS_OF, MAX_PEOPLE, SYNTH_EPOCH_MS, SYNTH_ID_LIMIT, SimulateErrorCode
from .services import GenerateReport, last_run, province_generate

__all__ = [
    "DEFAULT_AS_OF",
    "MAX_PEOPLE",
    "SYNTH_EPOCH_MS",
    "SYNTH_ID_LIMIT",
    "GenerateReport",
    "SimulateErrorCode",
    "last_run",
    "province_generate",
    "real_data_exists",
    "synthetic_delete",
    "synthetic_exists",
]
