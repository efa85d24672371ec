"""Labs API, mounted under /api/labs: sampling (campaigns, sites, samples, the laboratory's queue), the
laboratory's side of results (files, layouts, re-tests) and the citizens' result look-up. Entering and releasing
results set off cases and tracing: that router is the workflow's (lachan.workflows.lab_results.api), mounted
beside this one."""

from ninja import Router

from .lookup.api import router as lookup_router
from .results.api import router as results_router
from .sampling.api import router as sampling_router

router = Router()
router.add_router("", sampling_router)
router.add_router("", results_router)
router.add_router("", lookup_router)  # citizens' results: no log-in
