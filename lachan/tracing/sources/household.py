from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from lachan.people.models import Person

from .base import CLOSE, NOTICE, Evidence, Window


class HouseholdSource:
    """People of the same household: close contacts for the whole window (they live together)."""

    name = "household"

    def exposures(self, *, person, start, end, policy):
        return self.exposures_many(windows=[Window(person, start, end)], policy=policy)

    def exposures_many(self, *, windows: list[Window], policy):
        subjects = {w.person_id: w for w in windows}
        households = dict(
            Person.objects.filter(pk__in=list(subjects), household__isnull=False).values_list("pk", "household_id")
        )
        if not households:
            return []
        members = defaultdict(list)
        for pid, hid in Person.objects.active().filter(household_id__in=set(households.values())).values_list(
                "pk", "household_id"):
            members[hid].append(pid)
        grade = CLOSE if policy.get("household_is_f1", True) else NOTICE
        found = []
        for subject, hid in households.items():
            window = subjects[subject]
            for member in members[hid]:
                if member != subject:
                    found.append(Evidence(
                        person_id=member, source=self.name, grade=grade, start=window.start,
                        minutes=int((window.end - window.start).total_seconds() // 60), ref=str(hid),
                        text=_("same household"), subject_id=subject,
                    ))
        return found
