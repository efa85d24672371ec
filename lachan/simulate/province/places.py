"""The places of the synthetic province: health stations, hospitals, laboratories, checkpoints, quarantine
facilities, test sites, venues, enterprises with their workshops, teams and workers, shops and declaration points."""

from __future__ import annotations

import random
from datetime import date

from lachan.geo.models import AdminLevel, AdminUnit, PlaceKind

from .. import data
from .common import _IdMaker, _Picker


class _Places:
    """The generator's places (a part of simulate.province.generator._Generator)."""

    def _places(self):
        """Place rows and the rows that extend them (laboratories, checkpoints, venues, enterprises with their
        workshops, teams and workers). Every kind draws from one seeded stream, in this order: reordering the
        steps changes the rows of a seed."""
        communes = self.communes
        self.prng = random.Random(f"{self.seed}:places")
        self._place_id = _IdMaker(self.seed, "place")
        self._place_rows: list[tuple] = []
        self._ext: dict[str, list[tuple]] = {
            k: [] for k in ("venue", "enterprise", "workshop", "team", "worker", "lab", "checkpoint")}
        self._ext_ids = {k: _IdMaker(self.seed, k) for k in self._ext}
        by_short = {}
        for ci, unit in enumerate(communes):
            by_short.setdefault(unit.short_name, ci)
            by_short.setdefault(unit.name, ci)
        districts = list(AdminUnit.objects.filter(parent=self.province, level=AdminLevel.DISTRICT).order_by("code"))
        communes_of = {}
        for ci, unit in enumerate(communes):
            communes_of.setdefault(unit.parent_id, []).append(ci)
        self._people_weight = _Picker(range(len(communes)), [self.people_per_commune[c.id] + 1 for c in communes])
        capital_ci = self._health_places(districts, communes_of)
        self._laboratories(districts, capital_ci)
        self._checkpoints(by_short)
        self._quarantine_places(districts, communes_of, capital_ci)
        self._venues()
        self._enterprises(by_short, districts, communes_of)
        self._public_places()
        return self._place_rows, self._ext

    # ---- one place ----------------------------------------------------------------------------------

    def _place_add(self, kind, name, ci, address="", phone=""):
        pid = self._place_id()
        lat, lon = self._place_jitter(ci)
        self._place_rows.append((pid, self.now, self.now, kind, name[:200], self.communes[ci].id, address, lat, lon,
                                 phone, True))
        self.counts[kind] += 1
        return pid

    def _place_jitter(self, ci):
        unit, rng = self.communes[ci], self.prng
        if unit.latitude is None:
            return None, None
        return round(unit.latitude + rng.uniform(-0.01, 0.01), 6), round(unit.longitude + rng.uniform(-0.01, 0.01), 6)

    def _place_address(self, ci):
        saved, self.rng = self.rng, self.prng
        try:
            return self._address(ci)
        finally:
            self.rng = saved

    def _place_person_name(self):
        rng = self.prng
        return f"{self.family(rng).split()[0]} {rng.choice(self.given[rng.random() < 0.5])}"

    def _place_mobile(self):
        saved, self.rng = self.rng, self.prng
        try:
            return self._phone()
        finally:
            self.rng = saved

    # ---- each kind ----------------------------------------------------------------------------------

    def _health_places(self, districts, communes_of) -> int:
        """Health stations, one per commune; the provincial general hospital, then one district health centre per
        district. Returns the capital's commune (the most populous of the first district)."""
        communes, add, address = self.communes, self._place_add, self._place_address
        for ci, unit in enumerate(communes):
            add(PlaceKind.HEALTH_STATION, f"Trạm Y tế {unit.name}", ci, address(ci))
        capital = communes_of.get(districts[0].id, [0]) if districts else [0]
        capital_ci = max(capital, key=lambda c: self.people_per_commune[communes[c].id])
        add(PlaceKind.HOSPITAL, f"Bệnh viện Đa khoa Trung tâm {self.province.short_name}", capital_ci,
            address(capital_ci))
        for district in districts:
            cis = communes_of.get(district.id)
            if cis:
                ci = cis[0]
                add(PlaceKind.HOSPITAL, f"Trung tâm Y tế {district.name}", ci, address(ci))
        return capital_ci

    def _laboratories(self, districts, capital_ci) -> None:
        """The provincial CDC, the general hospital, a regional hospital; more for big runs."""
        pshort, now, ext, ext_ids = self.province.short_name, self.now, self._ext, self._ext_ids
        lab_specs = [
            (f"Phòng xét nghiệm – CDC {pshort}", 3000),
            (f"Khoa Xét nghiệm – Bệnh viện Đa khoa Trung tâm {pshort}", 2000),
        ]
        for district in districts[1: 2 + self.n_people // 500_000]:
            lab_specs.append((f"Khoa Xét nghiệm – Trung tâm Y tế {district.name}", 500))
        for name, capacity in lab_specs:
            ci = capital_ci if "Trung tâm" in name and "CDC" not in name else self._people_weight(self.prng)
            pid = self._place_add(PlaceKind.LABORATORY, name, ci, self._place_address(ci))
            ext["lab"].append((ext_ids["lab"](), now, now, pid, True, capacity))

    def _checkpoints(self, by_short) -> None:
        """On the provincial border (known roads where we have them)."""
        communes, rng, now = self.communes, self.prng, self.now
        specs = data.CHECKPOINTS.get(self.province.code[-2:])
        if not specs:
            specs = [(f"Chốt kiểm soát Quốc lộ {n} – {communes[ci].short_name}", f"Quốc lộ {n}", communes[ci].short_name)
                     for n, ci in zip((1, 13, 14, 20, 51, 60), rng.sample(range(len(communes)), min(6, len(communes))), strict=False)]
        for name, road, where in specs:
            ci = by_short.get(where, self._people_weight(rng))
            pid = self._place_add(PlaceKind.CHECKPOINT, name, ci, road)
            self._ext["checkpoint"].append((self._ext_ids["checkpoint"](), now, now, pid, road))

    def _quarantine_places(self, districts, communes_of, capital_ci) -> None:
        """Quarantine facilities (the province's, one every other district) and test sites."""
        add, address = self._place_add, self._place_address
        add(PlaceKind.QUARANTINE_FACILITY, f"Khu cách ly tập trung – Trường Quân sự {self.province.short_name}",
            capital_ci, address(capital_ci))
        for district in districts[1::2]:
            cis = communes_of.get(district.id)
            if cis:
                ci = cis[-1]
                add(PlaceKind.QUARANTINE_FACILITY, f"Khu cách ly tập trung {district.name}", ci, address(ci))
        for _n in range(max(len(districts), 3) + self.n_people // 20_000):
            ci = self._people_weight(self.prng)
            add(PlaceKind.TEST_SITE, f"Điểm xét nghiệm {self.communes[ci].name}", ci, address(ci))

    def _venues(self) -> None:
        """About one per 50 people, of typed kinds and sizes."""
        rng, now = self.prng, self.now
        kinds = data.VENUE_KINDS
        kind_pick = _Picker(range(len(kinds)), [k[1] for k in kinds])
        for _n in range(max(20, self.n_people // 50)):
            kind, _share, size_rule, (cap_lo, cap_hi) = kinds[kind_pick(rng)]
            ci = self._people_weight(rng)
            unit = self.communes[ci]
            hamlet = self.commune_hamlets[ci][1]
            pattern = rng.choice(data.VENUE_NAME_PATTERNS[kind])
            name = pattern.format(
                p=self._place_person_name(), h=rng.choice(data.HAMLET_NAMES), c=unit.short_name,
                k=unit.kind.lower() if unit.kind else "xã",
            )
            if "{h}" not in pattern and "{p}" not in pattern and rng.random() < 0.5:
                name = f"{name} – {rng.choice(hamlet)}"
            size = size_rule if size_rule != "mixed" else ("small" if rng.random() < 0.55 else "large")
            capacity = rng.randint(cap_lo, cap_hi) if size == "large" else rng.randint(cap_lo, max(cap_lo, min(cap_hi, 40)))
            pid = self._place_add(PlaceKind.VENUE, name, ci, self._place_address(ci), self._place_mobile())
            self._ext["venue"].append((self._ext_ids["venue"](), now, now, pid, kind, size, capacity))

    def _enterprises(self, by_short, districts, communes_of) -> None:
        """Most in industrial parks, with workshops, teams and the factory workers."""
        rng = self.prng
        parks = [(n, by_short.get(where)) for n, where in data.INDUSTRIAL_PARKS.get(self.province.code[-2:], [])]
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
            park, ci = rng.choice(parks) if in_park else ("", self._people_weight(rng))
            industry = rng.choice(data.INDUSTRIES)
            name = f"{rng.choice(data.COMPANY_FORMS)} {industry} {rng.choice(data.COMPANY_BRANDS)}"
            while name in used_names:
                name = f"{name} {rng.randint(2, 9)}"
            used_names.add(name)
            addr = f"Lô {'ABCDEFGH'[int(rng.random() * 8)]}{rng.randint(1, 40)}, {park}" if park else self._place_address(ci)
            pid = self._place_add(PlaceKind.ENTERPRISE, name, ci, addr, self._place_mobile())
            eid = self._ext_ids["enterprise"]()
            self._ext["enterprise"].append((eid, self.now, self.now, pid, f"{rng.randrange(10**9, 10**10)}", industry,
                                            park))
            share = len(workers) - start if e == n_ent - 1 else int(len(workers) * sizes[e] / total)
            self._enterprise_staff(eid, workers[start:start + share])
            start += share

    def _enterprise_staff(self, eid, staff) -> None:
        """An enterprise's workshops (one per 150 workers, at most 8), 2–6 teams each, and its workers."""
        rng, now, ext, ext_ids = self.prng, self.now, self._ext, self._ext_ids
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

    def _public_places(self) -> None:
        """Essential shops (kept open in a lockdown) in every third commune, a health declaration point in every
        eighth: the map's public layers. Last, so the places and workers above stay as they were."""
        communes, add, address = self.communes, self._place_add, self._place_address
        for ci in range(0, len(communes), 3):
            add(PlaceKind.ESSENTIAL_SHOP, f"{data.ESSENTIAL_SHOP_BRANDS[ci % len(data.ESSENTIAL_SHOP_BRANDS)]} "
                f"{communes[ci].name}", ci, address(ci))
        for ci in range(0, len(communes), 8):
            add(PlaceKind.DECLARATION_POINT, f"Điểm khai báo y tế {communes[ci].name}", ci, address(ci))
