"""The synthetic province: people in households, and the places the next capabilities need.

Deterministic for a seed: the same seed, size, tree, province and reference date give the same rows,
ids included. Rows are built in Python from precomputed tables and written with bulk COPY/executemany
(`lachan.core.db.bulk_copy`), never one ORM call per row, so 1,000,000 people take minutes.

Synthetic ids are uuid7 values whose timestamp lies in January 2000 (SYNTH_EPOCH_MS + row number):
they sort before anything created for real, and `id < SYNTH_ID_LIMIT` finds every synthetic row.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import accumulate

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.models import User
from lachan.checkpoints.models import Checkpoint
from lachan.core.db import bulk_copy, db_datetime, is_sqlite
from lachan.core.errors import DomainError
from lachan.core.ids import uuid7
from lachan.core.text import fold
from lachan.enterprises.models import Enterprise, Team, Worker, Workshop
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.geo.services import admin_units_load
from lachan.labs.models import Laboratory
from lachan.people.models import DuplicateCandidate, Household, Person
from lachan.venues.models import Venue

from . import data
from .labs import labs_synthetic_delete
from .models import SyntheticRun

SYNTH_EPOCH_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
SYNTH_ID_LIMIT = uuid7(unix_ms=SYNTH_EPOCH_MS + 10_000_000_000, rand=bytes(10))  # ~115 days of rows
DEFAULT_AS_OF = date(2021, 7, 1)  # the reference date ages are counted from (the 2021 wave)
MAX_PEOPLE = 5_000_000
DUPLICATE_RATE = 0.003  # per adult: ≈ 0.2 % of all records


class SimulateErrorCode(StrEnum):
    BAD_SIZE = "simulate_bad_size"
    ALREADY_GENERATED = "simulate_already_generated"
    REAL_DATA = "simulate_real_data"
    NO_COMMUNES = "simulate_no_communes"


@dataclass
class GenerateReport:
    people: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: int | None = None


def _cum(weights):
    return list(accumulate(weights))


class _Picker:
    """Weighted choice with one random() and a bisect: much faster than random.choices per row."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = _cum(weights)
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


class _AgeSampler:
    """Age of one sex drawn from the census pyramid, optionally truncated to [lo, hi]."""

    def __init__(self, sex_index: int):
        weights = [0.0] * 100
        for lo, hi, male, female in data.AGE_BANDS:
            share = (male, female)[sex_index] / (hi - lo + 1)
            for age in range(lo, hi + 1):
                weights[age] = share
        self.cum = _cum(weights)

    def __call__(self, rng: random.Random, lo: int = 0, hi: int = 99) -> int:
        lo, hi = max(0, lo), min(99, hi)
        if hi < lo:
            return lo
        base = self.cum[lo - 1] if lo > 0 else 0.0
        age = bisect_right(self.cum, base + rng.random() * (self.cum[hi] - base))
        return min(max(age, lo), hi)


class _IdMaker:
    """uuid7 values from a seeded stream: row n of a table gets timestamp SYNTH_EPOCH_MS + n."""

    def __init__(self, seed, table: str):
        self.rng = random.Random(f"{seed}:ids:{table}")
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return uuid7(unix_ms=SYNTH_EPOCH_MS + self.n, rand=self.rng.randbytes(10)).hex


def _cols(model, names: list[str]) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


def _with_other_fields(model, names: list[str], rows, *, search_index: int | None = None):
    """Rows completed with the model's other NOT NULL columns, so that a field added to the model later
    does not break the bulk load: derived search columns computed, others given their default."""
    known = set(names)
    extra = [f for f in model._meta.concrete_fields if f.name not in known and not f.null and not f.primary_key]
    if not extra:
        return rows, names
    makers = []
    for f in extra:
        if f.name == "search_name_rev":  # "nguyen van an" → "an van nguyen"
            makers.append(lambda row: " ".join(reversed(row[search_index].split())))
        elif f.has_default():
            value = f.get_db_prep_save(f.get_default(), connection)
            makers.append(lambda row, value=value: value)
        else:
            raise RuntimeError(f"The generator does not know how to fill {model.__name__}.{f.name}.")
    return (tuple(row) + tuple(make(row) for make in makers) for row in rows), names + [f.name for f in extra]


def synthetic_exists() -> bool:
    return Person.objects.filter(id__lt=SYNTH_ID_LIMIT).exists() or Place.objects.filter(id__lt=SYNTH_ID_LIMIT).exists()


def real_data_exists() -> bool:
    return Person.objects.filter(id__gte=SYNTH_ID_LIMIT).exists() or Place.objects.filter(id__gte=SYNTH_ID_LIMIT).exists()


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


def synthetic_delete() -> None:
    """Remove every synthetic row (ids below SYNTH_ID_LIMIT). Accounts bound to a synthetic place are
    unbound and deactivated (demo_setup binds them again)."""
    limit = SYNTH_ID_LIMIT
    places = Place.objects.filter(id__lt=limit)
    User.objects.filter(jurisdiction_place__in=places).update(jurisdiction_place=None, is_active=False)
    Person.objects.filter(id__lt=limit, account__isnull=False).update(account=None)
    labs_synthetic_delete(limit)  # tubes and campaigns of its laboratories and people, before them
    for model in (Worker, Team, Workshop, Enterprise, Venue, Laboratory, Checkpoint):
        model.objects.filter(id__lt=limit)._raw_delete(model.objects.db)
    DuplicateCandidate.objects.filter(person_a_id__lt=limit).delete()
    DuplicateCandidate.objects.filter(person_b_id__lt=limit).delete()
    _records_of_synthetic_people_delete(limit)
    _quarantine_facilities_delete(limit)  # the demo's, once their orders (of synthetic people) are gone
    Place.objects.filter(id__lt=limit)._raw_delete(Place.objects.db)
    Person.objects.filter(id__lt=limit)._raw_delete(Person.objects.db)
    Household.objects.filter(id__lt=limit)._raw_delete(Household.objects.db)
    SyntheticRun.objects.all().delete()


def _records_of_synthetic_people_delete(limit) -> None:
    """Check-ins (tens of millions: a raw delete), then whatever else points at synthetic people —
    cases, contacts, proximity logs, and the records of capabilities still to come — through the ORM,
    so their own cascades run."""
    from lachan.venues.models import CheckIn

    CheckIn.objects.filter(Q(person_id__lt=limit) | Q(venue_id__lt=limit))._raw_delete(CheckIn.objects.db)
    done = {Person, Worker, DuplicateCandidate, CheckIn}
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if model in done or relation.many_to_many:
            continue
        model.objects.filter(**{f"{relation.field.attname}__lt": limit}).delete()


def _quarantine_facilities_delete(limit) -> None:
    from lachan.quarantine.models import Facility, FacilityRoom

    FacilityRoom.objects.filter(facility_id__lt=limit).delete()
    Facility.objects.filter(id__lt=limit).delete()


def _check_foreign_keys() -> None:
    """After a delete with SQLite's foreign keys off: anything left pointing at a removed row?"""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        broken = cursor.fetchmany(5)
    if broken:
        raise DomainError(
            SimulateErrorCode.REAL_DATA,
            _("Other records point at the synthetic people or places (%(tables)s); they were not removed.")
            % {"tables": ", ".join(sorted({row[0] for row in broken}))},
        )


class _bulk_mode:
    """SQLite: no fsync, a big page cache and foreign keys unchecked during the load only (one
    transaction, so a crash loses the whole load, never half of it). Foreign keys are off because
    people.merged_into has no index: deleting people would scan the table once per row; integrity
    is checked with PRAGMA foreign_key_check before the commit instead."""

    def __enter__(self):
        # PRAGMA synchronous cannot change inside a transaction (e.g. in a test): then leave it.
        self.active = is_sqlite() and not connection.in_atomic_block
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA foreign_keys=OFF")
                cursor.execute("PRAGMA cache_size=-1000000")
        return self

    def __exit__(self, *exc):
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA cache_size=-64000")
        return False


class _indexes_rebuilt:
    """Drop a table's plain secondary indexes for a big load and create them again afterwards: building
    an index once over sorted data is much faster than updating it per row (a GIN trigram index most of
    all). Constraint-backed indexes (primary key, unique) stay. Only when the load is large."""

    MIN_ROWS = 100_000

    def __init__(self, table: str, *, rows: int):
        self.table = table
        self.rows = rows
        self.saved: list[tuple[str, str]] = []

    def __enter__(self):
        if self.rows < self.MIN_ROWS:
            return self
        with connection.cursor() as cursor:
            if is_sqlite():
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                    "AND sql NOT LIKE 'CREATE UNIQUE%%'", [self.table],
                )
            else:
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.schemaname = current_schema() "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
                    "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'", [self.table],
                )
            self.saved = list(cursor.fetchall())
            for name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, exc_type, *exc):
        if self.saved and exc_type is None:
            with connection.cursor() as cursor:
                if not is_sqlite():
                    # Pending deferred foreign-key checks block CREATE INDEX: run them now.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for _name, sql in self.saved:
                    cursor.execute(sql)
                if not is_sqlite():
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return False  # on an error the transaction rolls back, indexes included


def _is_urban(unit: AdminUnit) -> bool:
    return unit.kind in ("Phường", "Thị trấn")


class _Generator:
    def __init__(self, *, seed, people, province, communes, as_of, log):
        self.seed = seed
        self.n_people = people
        self.province = province
        self.communes = communes
        self.as_of = as_of
        self.log = log
        self.now = db_datetime(timezone.now())
        self.rng = random.Random(f"{seed}:people")
        self.id_prefix = "0" + province.code[-2:].zfill(2)
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.fold_cache: dict[str, str] = {}
        self.counts: Counter = Counter()
        self.people_per_commune: Counter = Counter()
        self.factory_workers: list[tuple[str, int]] = []  # (person id, commune id)
        self.adults_with_phone: list[str] = []

        # Communes weighted by population, else area, else a seeded log-normal (urban wards denser).
        wrng = random.Random(f"{seed}:communes")
        weights = []
        for unit in communes:
            if unit.population and unit.population_source != "synthetic":  # a real figure, not ours
                w = float(unit.population)
            elif unit.area_km2:
                w = float(unit.area_km2) * (8.0 if _is_urban(unit) else 1.0)
            else:
                w = wrng.lognormvariate(0.0, 0.45) * (1.4 if _is_urban(unit) else 1.0)
            weights.append(w)
        self.commune_pick = _Picker(range(len(communes)), weights)
        # Hamlets (rural) or neighbourhoods and streets (urban) of each commune.
        self.commune_hamlets = []
        for unit in communes:
            if _is_urban(unit):
                k = wrng.randint(3, 9)
                streets = wrng.sample(data.STREET_NAMES, 4)
                self.commune_hamlets.append((True, [f"Khu phố {i}" for i in range(1, k + 1)], streets))
            else:
                self.commune_hamlets.append((False, ["Ấp " + h for h in wrng.sample(data.HAMLET_NAMES, wrng.randint(4, 10))], []))

        self.family = _Picker([n for n, _w in data.FAMILY_NAMES], [w for _n, w in data.FAMILY_NAMES])
        self.middle = (
            _Picker([n for n, _w in data.MIDDLE_NAMES_MALE], [w for _n, w in data.MIDDLE_NAMES_MALE]),
            _Picker([n for n, _w in data.MIDDLE_NAMES_FEMALE], [w for _n, w in data.MIDDLE_NAMES_FEMALE]),
        )
        self.given = (data.GIVEN_NAMES_MALE, data.GIVEN_NAMES_FEMALE)
        self.hh_size = _Picker([s for s, _w in data.HOUSEHOLD_SIZES], [w for _s, w in data.HOUSEHOLD_SIZES])
        self.age = (_AgeSampler(0), _AgeSampler(1))
        self.work_occ = _Picker([o for o, _w in data.OCC_WORKING], [w for _o, w in data.OCC_WORKING])
        self.old_occ = _Picker([o for o, _w in data.OCC_ELDERLY], [w for _o, w in data.OCC_ELDERLY])
        self.as_of_ordinal = as_of.toordinal()
        shares = [0.0] * 40
        for band, (_lo, _hi, male, female) in enumerate(data.AGE_BANDS):
            shares[band], shares[20 + band] = male, female
        self.cell_target = [v / sum(shares) for v in shares]
        self.cell_counts = [0] * 40
        self.cell_total = 0

    # ---- people ---------------------------------------------------------------------------------

    def _fold(self, text: str) -> str:
        value = self.fold_cache.get(text)
        if value is None:
            value = self.fold_cache[text] = fold(text)
        return value

    def _household_members(self, size: int):
        """(sex 0/1, age, family name, role) for a household that makes sense: a couple, their children,
        grandparents; children carry their father's family name."""
        rng, age = self.rng, self.age
        if size == 1:
            sex = 0 if rng.random() < 0.45 else 1
            return [(sex, age[sex](rng, 18, 99), self.family(rng), "single")]
        three_gen = (size >= 4 and rng.random() < 0.45) or (size == 3 and rng.random() < 0.12)
        n_grand = (2 if size >= 6 and rng.random() < 0.6 else 1) if three_gen else 0
        members = []
        n_adults = 1 if (not three_gen and rng.random() < 0.12) else 2
        n_children = size - n_adults - n_grand
        # Children first, from the pyramid, so children's ages follow it; the parents' ages follow
        # from the eldest child (mother 18–40 at the eldest's birth, at most 45 at the youngest's).
        kids = []
        if n_children > 0:
            for _try in range(4):
                kids = [(0 if rng.random() < 0.52 else 1) for _k in range(n_children)]
                kids = [(sex, age[sex](rng, 0, 32)) for sex in kids]
                spread = max(a for _s, a in kids) - min(a for _s, a in kids)
                if spread <= 20:
                    break
            eldest, youngest = max(a for _s, a in kids), min(a for _s, a in kids)
            mother_age = eldest + rng.randint(max(18, 18), max(18, min(40, 45 - (eldest - youngest))))
            father_age = min(mother_age + max(0, round(rng.gauss(3, 3))), 99)
        else:
            father_age = age[0](rng, 21, 60 if three_gen else 90)
            mother_age = min(max(father_age - round(rng.gauss(3, 3)), 18), 99)
        if n_adults == 1:
            sex = 1 if rng.random() < 0.8 else 0
            fam = self.family(rng)
            members.append((sex, mother_age if sex else father_age, fam, "head"))
        else:
            fam = self.family(rng)
            members.append((0, father_age, fam, "head"))
            members.append((1, mother_age, self.family(rng), "spouse"))
        if n_grand:
            g_age = min(max(father_age, mother_age) + rng.randint(22, 32), 99)
            if n_grand == 2 or rng.random() < 0.4:
                members.append((0, g_age, fam, "grandparent"))
            if len(members) - n_adults < n_grand:
                members.append((1, min(g_age - rng.randint(0, 5), 99), self.family(rng), "grandparent"))
        for sex, kid_age in kids:
            members.append((sex, kid_age, fam, "child"))
        return members

    def _balanced_household(self):
        """A household whose members keep the running age-sex mix close to the census pyramid: a
        candidate whose members sit in over-filled cells is rejected in proportion (quota feedback)."""
        rng, cells, target = self.rng, self.cell_counts, self.cell_target
        while True:
            members = self._household_members(self.hh_size(rng))
            total = self.cell_total
            if total > 500:
                factor = 1.0
                for sex, age, _f, _r in members:
                    cell = sex * 20 + min(age // 5, 16)
                    factor *= target[cell] * total / (cells[cell] + 1)
                if rng.random() > factor:
                    continue
            for sex, age, _f, _r in members:
                cells[sex * 20 + min(age // 5, 16)] += 1
            self.cell_total += len(members)
            return members

    def _national_id(self, sex: int, year: int) -> str:
        century = (0 if year < 2000 else 2 if year < 2100 else 4) + sex
        prefix = f"{self.id_prefix}{century}{year % 100:02d}"
        rng = self.rng
        while True:
            value = f"{prefix}{rng.randrange(1_000_000):06d}"
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def _phone(self) -> str:
        rng = self.rng
        prefixes = data.MOBILE_PREFIXES
        while True:
            value = f"{prefixes[int(rng.random() * len(prefixes))]}{rng.randrange(10_000_000):07d}"
            if value not in self.used_phones:
                self.used_phones.add(value)
                return value

    def _occupation(self, sex: int, age: int) -> str:
        rng = self.rng
        if age < 6:
            return data.OCC_CHILD
        if age < 18:
            return data.OCC_PUPIL
        if age < 23 and rng.random() < 0.35:
            return data.OCC_STUDENT
        if age >= (60 if sex == 0 else 55):
            return self.old_occ(rng) if age < 75 else data.OCC_RETIRED
        return self.work_occ(rng)

    def _address(self, ci: int) -> str:
        rng = self.rng
        urban, hamlets, streets = self.commune_hamlets[ci]
        hamlet = hamlets[int(rng.random() * len(hamlets))]
        if urban:
            if rng.random() < 0.6:
                return f"Số {rng.randint(1, 320)}, Đường {streets[int(rng.random() * len(streets))]}, {hamlet}"
            return f"Tổ {rng.randint(1, 25)}, {hamlet}"
        if rng.random() < 0.7:
            return f"Số {rng.randint(1, 450)}, {hamlet}"
        return f"Tổ {rng.randint(1, 15)}, {hamlet}"

    def _people(self):
        """Households and people rows (households first, both as lists)."""
        rng = self.rng
        hh_id, person_id = _IdMaker(self.seed, "household"), _IdMaker(self.seed, "person")
        households, persons = [], []
        now = self.now
        target = self.n_people
        hh_seq = Counter()
        pick_commune = self.commune_pick
        communes = self.communes
        as_of = self.as_of_ordinal
        while len(persons) < target:
            ci = pick_commune(rng)
            commune = communes[ci]
            hh_seq[ci] += 1
            address = self._address(ci)
            hid = hh_id()
            households.append((hid, now, now, f"{commune.code}-{hh_seq[ci]:05d}", commune.id, address))
            for sex, age, fam, _role in self._balanced_household():
                if len(persons) >= target:
                    break
                middle = self.middle[sex](rng)
                givens = self.given[sex]
                given = givens[int(rng.random() * len(givens))]
                full_name = f"{fam} {middle} {given}"
                search = f"{self._fold(fam)} {self._fold(middle)} {self._fold(given)}"
                birth = date.fromordinal(as_of - int((age + rng.random()) * 365.2425) - 1)
                year = birth.year
                nid = self._national_id(sex, year) if (age >= 14 or rng.random() < 0.9) else ""
                if age >= 18:
                    has_phone = rng.random() < (0.93 if age < 70 else 0.6)
                elif age >= 10:
                    has_phone = rng.random() < (0.6 if age >= 15 else 0.15)
                else:
                    has_phone = False
                phone = self._phone() if has_phone else ""
                phone_alt = self._phone() if has_phone and age >= 20 and rng.random() < 0.05 else ""
                occupation = self._occupation(sex, age)
                pid = person_id()
                sex_code = "MF"[sex]
                birth_iso = birth.isoformat()
                persons.append((
                    pid, now, now, full_name, search, birth_iso, year, sex_code, nid, phone, phone_alt,
                    commune.id, address, hid, occupation,
                ))
                self.people_per_commune[commune.id] += 1
                if occupation == data.OCC_FACTORY and age <= 50:
                    self.factory_workers.append((pid, commune.id))
                if phone and 25 <= age <= 60 and len(self.adults_with_phone) < 50:
                    self.adults_with_phone.append(pid)
                if age >= 18 and rng.random() < DUPLICATE_RATE and len(persons) < target:
                    persons.append(self._duplicate(person_id(), persons[-1]))
                    self.counts["duplicates"] += 1
        self.counts["households"] = len(households)
        self.counts["people"] = len(persons)
        return households, persons

    def _duplicate(self, pid, original):
        """The same human registered again: without ID, with a phone typo, or typed without diacritics."""
        rng = self.rng
        (_id, now, _now, full_name, search, birth, year, sex, nid, phone, _alt, commune_id, address, _hid, occ) = original
        variant = int(rng.random() * 3)
        if variant == 0 or not phone:  # same name, birth date and commune, no ID, no phone
            return (pid, now, now, full_name, search, birth, year, sex, "", "", "", commune_id, address, None, occ)
        if variant == 1:  # same phone, similar name (typed without diacritics), year of birth only
            return (pid, now, now, search.title(), search, None, year, sex, "", phone, "", commune_id, "", None, "")
        pos = 3 + int(rng.random() * 7)  # same ID, one digit of the phone mistyped
        typo = phone[:pos] + str((int(phone[pos]) + 1 + int(rng.random() * 8)) % 10) + phone[pos + 1:]
        return (pid, now, now, full_name, search, birth, year, sex, nid, typo, "", commune_id, address, None, occ)

    # ---- places ---------------------------------------------------------------------------------

    def _places(self):  # noqa: C901
        rng = random.Random(f"{self.seed}:places")
        self.prng = rng
        place_id = _IdMaker(self.seed, "place")
        now = self.now
        places: list[tuple] = []
        ext: dict[str, list[tuple]] = {k: [] for k in ("venue", "enterprise", "workshop", "team", "worker", "lab", "checkpoint")}
        ext_ids = {k: _IdMaker(self.seed, k) for k in ext}
        communes, province = self.communes, self.province
        by_short = {}
        for ci, unit in enumerate(communes):
            by_short.setdefault(unit.short_name, ci)
            by_short.setdefault(unit.name, ci)
        districts = list(AdminUnit.objects.filter(parent=province, level=AdminLevel.DISTRICT).order_by("code"))
        communes_of = {}
        for ci, unit in enumerate(communes):
            communes_of.setdefault(unit.parent_id, []).append(ci)
        pshort = province.short_name
        people_weight = _Picker(range(len(communes)), [self.people_per_commune[c.id] + 1 for c in communes])

        def jitter(ci):
            unit = communes[ci]
            if unit.latitude is None:
                return None, None
            return round(unit.latitude + rng.uniform(-0.01, 0.01), 6), round(unit.longitude + rng.uniform(-0.01, 0.01), 6)

        def add(kind, name, ci, address="", phone=""):
            pid = place_id()
            lat, lon = jitter(ci)
            places.append((pid, now, now, kind, name[:200], communes[ci].id, address, lat, lon, phone, True))
            self.counts[kind] += 1
            return pid

        def address(ci):
            saved, self.rng = self.rng, rng
            try:
                return self._address(ci)
            finally:
                self.rng = saved

        def person_name():
            return f"{self.family(rng).split()[0]} {rng.choice(self.given[rng.random() < 0.5])}"

        def mobile():
            saved, self.rng = self.rng, rng
            try:
                return self._phone()
            finally:
                self.rng = saved

        # Health stations: one per commune.
        for ci, unit in enumerate(communes):
            add(PlaceKind.HEALTH_STATION, f"Trạm Y tế {unit.name}", ci, address(ci))
        # Hospitals: the provincial general hospital, then one district health centre per district.
        capital = communes_of.get(districts[0].id, [0]) if districts else [0]
        capital_ci = max(capital, key=lambda c: self.people_per_commune[communes[c].id])
        add(PlaceKind.HOSPITAL, f"Bệnh viện Đa khoa Trung tâm {pshort}", capital_ci, address(capital_ci))
        for district in districts:
            cis = communes_of.get(district.id)
            if cis:
                ci = cis[0]
                add(PlaceKind.HOSPITAL, f"Trung tâm Y tế {district.name}", ci, address(ci))
        # Laboratories: the provincial CDC, the general hospital, a regional hospital; more for big runs.
        lab_specs = [
            (f"Phòng xét nghiệm – CDC {pshort}", 3000),
            (f"Khoa Xét nghiệm – Bệnh viện Đa khoa Trung tâm {pshort}", 2000),
        ]
        for district in districts[1: 2 + self.n_people // 500_000]:
            lab_specs.append((f"Khoa Xét nghiệm – Trung tâm Y tế {district.name}", 500))
        for name, capacity in lab_specs:
            ci = capital_ci if "Trung tâm" in name and "CDC" not in name else people_weight(rng)
            pid = add(PlaceKind.LABORATORY, name, ci, address(ci))
            ext["lab"].append((ext_ids["lab"](), now, now, pid, True, capacity))
        # Checkpoints on the provincial border (known roads where we have them).
        specs = data.CHECKPOINTS.get(province.code[-2:])
        if not specs:
            specs = [(f"Chốt kiểm soát Quốc lộ {n} – {communes[ci].short_name}", f"Quốc lộ {n}", communes[ci].short_name)
                     for n, ci in zip((1, 13, 14, 20, 51, 60), rng.sample(range(len(communes)), min(6, len(communes))), strict=False)]
        for name, road, where in specs:
            ci = by_short.get(where, people_weight(rng))
            pid = add(PlaceKind.CHECKPOINT, name, ci, road)
            ext["checkpoint"].append((ext_ids["checkpoint"](), now, now, pid, road))
        # Quarantine facilities and test sites.
        add(PlaceKind.QUARANTINE_FACILITY, f"Khu cách ly tập trung – Trường Quân sự {pshort}", capital_ci, address(capital_ci))
        for district in districts[1::2]:
            cis = communes_of.get(district.id)
            if cis:
                ci = cis[-1]
                add(PlaceKind.QUARANTINE_FACILITY, f"Khu cách ly tập trung {district.name}", ci, address(ci))
        for _n in range(max(len(districts), 3) + self.n_people // 20_000):
            ci = people_weight(rng)
            add(PlaceKind.TEST_SITE, f"Điểm xét nghiệm {communes[ci].name}", ci, address(ci))
        # Venues: about one per 50 people, of typed kinds and sizes.
        kinds = data.VENUE_KINDS
        kind_pick = _Picker(range(len(kinds)), [k[1] for k in kinds])
        for _n in range(max(20, self.n_people // 50)):
            kind, _share, size_rule, (cap_lo, cap_hi) = kinds[kind_pick(rng)]
            ci = people_weight(rng)
            unit = communes[ci]
            hamlet = self.commune_hamlets[ci][1]
            pattern = rng.choice(data.VENUE_NAME_PATTERNS[kind])
            name = pattern.format(
                p=person_name(), h=rng.choice(data.HAMLET_NAMES), c=unit.short_name,
                k=unit.kind.lower() if unit.kind else "xã",
            )
            if "{h}" not in pattern and "{p}" not in pattern and rng.random() < 0.5:
                name = f"{name} – {rng.choice(hamlet)}"
            size = size_rule if size_rule != "mixed" else ("small" if rng.random() < 0.55 else "large")
            capacity = rng.randint(cap_lo, cap_hi) if size == "large" else rng.randint(cap_lo, max(cap_lo, min(cap_hi, 40)))
            pid = add(PlaceKind.VENUE, name, ci, address(ci), mobile())
            ext["venue"].append((ext_ids["venue"](), now, now, pid, kind, size, capacity))
        # Enterprises, most in industrial parks, with workshops, teams and the factory workers.
        parks = [(n, by_short.get(where)) for n, where in data.INDUSTRIAL_PARKS.get(province.code[-2:], [])]
        parks = [(n, ci) for n, ci in parks if ci is not None]
        if not parks and districts:
            parks = [(f"KCN {d.short_name}", communes_of[d.id][0]) for d in districts[:2] if communes_of.get(d.id)]
        n_ent = max(3, self.n_people // 5000)
        workers = list(self.factory_workers)
        rng.shuffle(workers)
        sizes = [rng.lognormvariate(0, 1.0) for _ in range(n_ent)]
        total = sum(sizes)
        start = 0
        used_names = set()
        for e in range(n_ent):
            in_park = parks and rng.random() < 0.65
            park, ci = rng.choice(parks) if in_park else ("", people_weight(rng))
            industry = rng.choice(data.INDUSTRIES)
            name = f"{rng.choice(data.COMPANY_FORMS)} {industry} {rng.choice(data.COMPANY_BRANDS)}"
            while name in used_names:
                name = f"{name} {rng.randint(2, 9)}"
            used_names.add(name)
            addr = f"Lô {'ABCDEFGH'[int(rng.random() * 8)]}{rng.randint(1, 40)}, {park}" if park else address(ci)
            pid = add(PlaceKind.ENTERPRISE, name, ci, addr, mobile())
            eid = ext_ids["enterprise"]()
            ext["enterprise"].append((eid, now, now, pid, f"{rng.randrange(10**9, 10**10)}", industry, park))
            share = len(workers) - start if e == n_ent - 1 else int(len(workers) * sizes[e] / total)
            staff = workers[start:start + share]
            start += share
            n_ws = min(8, max(1, 1 + len(staff) // 150))
            teams = []
            for w in range(n_ws):
                wid = ext_ids["workshop"]()
                ext["workshop"].append((wid, now, now, eid, f"Xưởng {w + 1}"))
                for t in range(rng.randint(2, 6)):
                    tid = ext_ids["team"]()
                    ext["team"].append((tid, now, now, wid, f"Tổ {w + 1}.{t + 1}"))
                    teams.append(tid)
            for n, (person, _commune) in enumerate(staff, start=1):
                started = date.fromordinal(self.as_of_ordinal - rng.randint(30, 3650)).isoformat()
                ext["worker"].append((ext_ids["worker"](), now, now, eid, person, teams[int(rng.random() * len(teams))],
                                      f"NV{n:05d}", started, None))
        # Essential shops (kept open in a lockdown) in every third commune, a health declaration point in every
        # eighth: the map's public layers. Last, so the places and workers above stay as they were.
        for ci in range(0, len(communes), 3):
            add(PlaceKind.ESSENTIAL_SHOP, f"{data.ESSENTIAL_SHOP_BRANDS[ci % len(data.ESSENTIAL_SHOP_BRANDS)]} "
                f"{communes[ci].name}", ci, address(ci))
        for ci in range(0, len(communes), 8):
            add(PlaceKind.DECLARATION_POINT, f"Điểm khai báo y tế {communes[ci].name}", ci, address(ci))
        return places, ext

    # ---- writing --------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        t = time.monotonic()
        households, persons = self._people()
        self.log(f"Generated {len(persons):,} people in {len(households):,} households ({time.monotonic() - t:.1f} s).")
        t = time.monotonic()
        with (
            _indexes_rebuilt(Person._meta.db_table, rows=len(persons)),
            _indexes_rebuilt(Household._meta.db_table, rows=len(households)),
        ):
            self._write_people(households, persons)
            del households, persons
            self.log(f"Wrote households and people ({time.monotonic() - t:.1f} s); rebuilding their indexes…")
        self.log(f"Households and people with indexes: {time.monotonic() - t:.1f} s.")
        t = time.monotonic()
        places, ext = self._places()
        self._write_places(places, ext)
        for key, label in (("workshop", "workshops"), ("team", "teams"), ("worker", "workers")):
            self.counts[label] = len(ext[key])
        self.log(f"Wrote {len(places):,} places ({time.monotonic() - t:.1f} s).")
        self._populations()
        return {str(k): int(v) for k, v in self.counts.items()}

    def _write_people(self, households, persons):
        base = ["id", "created_at", "changed_at"]
        bulk_copy(Household._meta.db_table, _cols(Household, base + ["code", "commune", "address_line"]), households)
        names = base + ["full_name", "search_name", "birth_date", "birth_year", "sex", "national_id", "phone",
                        "phone_alt", "commune", "address_line", "household", "occupation"]
        rows, names = _with_other_fields(Person, names, persons, search_index=4)
        bulk_copy(Person._meta.db_table, _cols(Person, names), rows)

    def _write_places(self, places, ext):
        base = ["id", "created_at", "changed_at"]
        for model, names, rows in (
            (Place, ["kind", "name", "commune", "address", "latitude", "longitude", "phone", "is_active"], places),
            (Venue, ["place", "kind", "size", "capacity"], ext["venue"]),
            (Laboratory, ["place", "does_rt_pcr", "daily_capacity"], ext["lab"]),
            (Checkpoint, ["place", "road"], ext["checkpoint"]),
            (Enterprise, ["place", "tax_code", "industry", "industrial_park"], ext["enterprise"]),
            (Workshop, ["enterprise", "name"], ext["workshop"]),
            (Team, ["workshop", "name"], ext["team"]),
            (Worker, ["enterprise", "person", "team", "employee_code", "started_on", "ended_on"], ext["worker"]),
        ):
            # A NOT NULL field added to a model later gets its default instead of breaking the load.
            rows, names = _with_other_fields(model, base + names, rows)
            bulk_copy(model._meta.db_table, _cols(model, names), rows)

    def _populations(self):
        """Communes without an official population get the generated count scaled to the province."""
        generated = sum(self.people_per_commune.values())
        target = self.province.population or data.PROVINCE_POPULATION.get(self.province.code[-2:]) or generated
        scale = target / max(generated, 1)
        updates = []
        for unit in self.communes:
            if unit.population is None or unit.population_source == "synthetic":
                unit.population = int(math.floor(self.people_per_commune[unit.id] * scale + 0.5))
                unit.population_source = "synthetic"
                unit.population_year = self.as_of.year
                updates.append(unit)
        AdminUnit.objects.bulk_update(updates, ["population", "population_source", "population_year"], batch_size=500)
        # Districts and the province: sums, where nobody entered a real figure.
        parents = list(AdminUnit.objects.filter(tree=self.province.tree, level__lt=AdminLevel.COMMUNE,
                                                path__startswith=self.province.path))
        for unit in sorted(parents, key=lambda u: -u.level):
            if unit.population is None or unit.population_source == "synthetic":
                total = sum(c.population or 0 for c in AdminUnit.objects.filter(parent=unit))
                unit.population, unit.population_source, unit.population_year = total, "synthetic", self.as_of.year
                unit.save(update_fields=["population", "population_source", "population_year"])


def last_run(*, tree: str, province_code: str) -> SyntheticRun | None:
    return SyntheticRun.objects.filter(tree=tree, province_code=province_code).first()

