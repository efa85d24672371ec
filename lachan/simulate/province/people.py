"""The people of the synthetic province: households that make sense, names, ages from the census pyramid,
CCCDs, phones, occupations, addresses, and the duplicates a real register holds."""

from __future__ import annotations

from collections import Counter
from datetime import date

from lachan.core.text import fold

from .. import data
from .common import DUPLICATE_RATE, _IdMaker


class _People:
    """The generator's people (a part of simulate.province.generator._Generator)."""

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
