"""The synthetic province's generator: people in households, and the places the next capabilities need.

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
from collections import Counter

from django.utils import timezone

from lachan.checkpoints.models import Checkpoint
from lachan.core.db import bulk_copy, db_datetime
from lachan.enterprises.models import Enterprise, Team, Worker, Workshop
from lachan.geo.models import AdminLevel, AdminUnit, Place
from lachan.labs.models import Laboratory
from lachan.people.models import Household, Person
from lachan.venues.models import Venue

from .. import data
from .bulk import _cols, _indexes_rebuilt, _with_other_fields
from .common import _AgeSampler, _is_urban, _Picker
from .people import _People
from .places import _Places


class _Generator(_People, _Places):
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
