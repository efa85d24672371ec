from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from lachan.core.numbers import number_text

from .base import CLOSE, Evidence, Window

# The longest encounter a phone may upload (tracing.services.proximity_upload): one that began this long before a
# window may still reach into it.
MAX_ENCOUNTER = timedelta(minutes=24 * 60)


class ProximitySource:
    """Bluezone-style encounters uploaded with consent: close when near enough for long enough. An encounter is
    clipped to the subject's window, as venue stays are: only the minutes inside it count."""

    name = "proximity"

    def exposures(self, *, person, start, end, policy):
        return self.exposures_many(windows=[Window(person, start, end)], policy=policy)

    def exposures_many(self, *, windows: list[Window], policy):
        from ..models import ProximityDevice, ProximityEncounter

        subjects = {w.person_id: w for w in windows}
        devices = {d.anonymous_id: d for d in ProximityDevice.objects.filter(revoked_at__isnull=True).filter(
            person_id__in=list(subjects))}
        if not devices:
            return []
        max_m = float(policy["f1_max_distance_m"])
        min_minutes = int(policy["f1_min_minutes_proximity"])
        earliest = min(w.start for w in windows)
        latest = max(w.end for w in windows)
        # Two index scans (what the subject's phones saw, who saw them) rather than one OR the planner
        # may answer with a table scan.
        encounters = []
        for seen in (Q(reporter_id__in=[d.pk for d in devices.values()]), Q(other_id__in=list(devices))):
            encounters.extend(ProximityEncounter.objects.filter(
                seen, started_at__gte=earliest - MAX_ENCOUNTER, started_at__lte=latest, distance_m__lte=max_m,
                duration_minutes__gte=min_minutes, reporter__revoked_at__isnull=True,
            ).values_list("reporter_id", "reporter__anonymous_id", "reporter__person_id", "other_id", "started_at",
                          "duration_minutes", "distance_m"))
        encounters = list(dict.fromkeys(encounters))  # a pair of two subjects' phones comes back twice
        others = {row[3] for row in encounters} - set(devices)
        other_people = dict(ProximityDevice.objects.filter(anonymous_id__in=others, revoked_at__isnull=True)
                            .values_list("anonymous_id", "person_id"))
        other_people.update({d.anonymous_id: d.person_id for d in devices.values()})
        found = []
        for _rid, reporter_anon, reporter_person, other_anon, started, minutes, distance in encounters:
            if reporter_anon in devices:  # the subject's phone saw someone
                subject, contact, device = reporter_person, other_people.get(other_anon), other_anon
            else:  # someone's phone saw the subject
                subject, contact, device = other_people.get(other_anon), reporter_person, reporter_anon
            window = subjects.get(subject)
            if contact is None or window is None or contact == subject:
                continue
            start = max(started, window.start)
            end = min(started + timedelta(minutes=minutes), window.end)
            if end <= start:
                continue
            minutes = int((end - start).total_seconds() // 60)
            if minutes < min_minutes:
                continue
            found.append(Evidence(
                person_id=contact, source=self.name, grade=CLOSE, start=start, minutes=minutes, distance_m=distance,
                ref=device, text=_("phones within %(m)s m for %(min)s minutes") % {"m": number_text(distance), "min": minutes},
                subject_id=subject,
            ))
        return found
