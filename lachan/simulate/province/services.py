"""Generating the synthetic province into the database, in one transaction, and its last run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from lachan.core.db import is_sqlite
from lachan.core.errors import DomainError
from lachan.enterprises.models import Enterprise, Worker
from lachan.geo.models import AdminLevel, AdminUnit, Place
from lachan.geo.services import admin_units_load
from lachan.people.models import Household, Person
from lachan.venues.models import Venue

from ..models import SyntheticRun
from .bulk import _bulk_mode, _check_foreign_keys
from .cleanup import real_data_exists, synthetic_delete, synthetic_exists
from .common import DEFAULT_AS_OF, MAX_PEOPLE, SimulateErrorCode
from .generator import _Generator


@dataclass
class GenerateReport:
    people: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: int | None = None


def province_generate(
    *, people: int, seed: int, tree: str | None = None, province_code: str | None = None,
    fresh: bool = False, force: bool = False, as_of: date = DEFAULT_AS_OF, log=None,
) -> GenerateReport:
    """Generate the synthetic province into the database (one transaction). Raises DomainError on bad
    input, when synthetic data exists and `fresh` is not set, or on real data without `force`."""
    started = time.monotonic()
    tree = tree or settings.LACHAN_ADMIN_TREE
    province_code = province_code or settings.LACHAN_PROVINCE_CODE
    log = log or (lambda msg: None)
    if not isinstance(people, int) or people < 1 or people > MAX_PEOPLE:
        raise DomainError(
            SimulateErrorCode.BAD_SIZE, _("The number of people must be between 1 and %(max)s.") % {"max": MAX_PEOPLE},
            field="people",
        )
    if not AdminUnit.objects.filter(tree=tree, code=province_code, level=AdminLevel.PROVINCE).exists():
        admin_units_load(tree=tree, province_code=province_code)  # raises on an unknown tree or province
    province = AdminUnit.objects.get(tree=tree, code=province_code, level=AdminLevel.PROVINCE)
    communes = list(
        AdminUnit.objects.filter(tree=tree, level=AdminLevel.COMMUNE, path__startswith=province.path + "/").order_by("code")
    )
    if not communes:
        raise DomainError(SimulateErrorCode.NO_COMMUNES, _("The province has no communes loaded."))
    if real_data_exists() and not force:
        raise DomainError(
            SimulateErrorCode.REAL_DATA,
            _("The database holds people or places that were not generated; refusing (use --force to add anyway)."),
        )
    with _bulk_mode() as bulk, transaction.atomic():
        if synthetic_exists():
            if not fresh:
                raise DomainError(
                    SimulateErrorCode.ALREADY_GENERATED,
                    _("A synthetic province is already in the database; use --fresh to replace it."),
                )
            log("Removing the previous synthetic province…")
            synthetic_delete()
            deleted = True
        else:
            deleted = False
        gen = _Generator(seed=seed, people=people, province=province, communes=communes, as_of=as_of, log=log)
        counts = gen.run()
        if deleted and bulk.active:
            _check_foreign_keys()
        seconds = time.monotonic() - started
        run = SyntheticRun.objects.create(
            seed=seed, people=people, tree=tree, province_code=province_code, as_of=as_of, counts=counts,
            seconds=round(seconds, 2),
        )
    with connection.cursor() as cursor:
        # Fresh planner statistics for the loaded tables, so the first queries pick the right indexes
        # (PostgreSQL's autovacuum would get there only later).
        if is_sqlite():
            cursor.execute("ANALYZE")
        else:
            for model in (Person, Household, Place, Venue, Enterprise, Worker, AdminUnit):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return GenerateReport(people=counts["people"], counts=counts, seconds=time.monotonic() - started, run_id=run.id)


def last_run(*, tree: str, province_code: str) -> SyntheticRun | None:
    return SyntheticRun.objects.filter(tree=tree, province_code=province_code).first()

