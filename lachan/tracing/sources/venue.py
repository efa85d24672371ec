from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .base import CLOSE, NOTICE, Evidence, Window

CHUNK = 200  # OR-ed conditions per query: one query per batch of windows or visits, not one per row


class VenueSource:
    """Co-presence at venues: the subject's own check-ins in the window, then everyone whose stay at the
    same venue overlapped. A small enclosed room for long enough is close contact; a large space (a
    supermarket) is an exposure notice, so one visit does not quarantine hundreds of shoppers."""

    name = "venue"

    def exposures(self, *, person, start, end, policy):
        return self.exposures_many(windows=[Window(person, start, end)], policy=policy)

    def exposures_many(self, *, windows: list[Window], policy):
        from lachan.venues.models import CheckIn, Venue, VenueSize

        by_person = {w.person_id: w for w in windows}
        visits = []  # (subject, venue, start, end), clipped to the subject's window
        items = list(by_person.values())
        for i in range(0, len(items), CHUNK):
            cond = reduce(or_, (Q(person_id=w.person_id, checked_in_at__lt=w.end, checked_out_at__gt=w.start)
                                for w in items[i:i + CHUNK]))
            for pid, vid, cin, cout in CheckIn.objects.filter(cond).values_list(
                    "person_id", "venue_id", "checked_in_at", "checked_out_at"):
                w = by_person[pid]
                visits.append((pid, vid, max(cin, w.start), min(cout, w.end)))
        if not visits:
            return []
        venues = {v["pk"]: v for v in Venue.objects.filter(pk__in={v[1] for v in visits}).values(
            "pk", "size", "kind", "place__name")}
        large_is_notice = bool(policy.get("large_venue_is_notice", True))
        if policy.get("close_only") and large_is_notice:
            # Only close contacts wanted (F2 search): a large space never makes one, so skip its crowd.
            visits = [v for v in visits if venues.get(v[1], {}).get("size") == VenueSize.SMALL_ENCLOSED]
            if not visits:
                return []
        max_stay = timedelta(minutes=int(policy["max_stay_minutes"]))
        overlap = defaultdict(int)  # (subject, venue, visit start, contact) -> minutes
        first_seen = {}
        for i in range(0, len(visits), CHUNK):
            chunk = visits[i:i + CHUNK]
            cond = reduce(or_, (Q(venue_id=vid, checked_in_at__gte=vs - max_stay, checked_in_at__lt=ve,
                                  checked_out_at__gt=vs) for _p, vid, vs, ve in chunk))
            rows = list(CheckIn.objects.filter(cond).values_list("person_id", "venue_id", "checked_in_at",
                                                                   "checked_out_at"))
            by_venue = defaultdict(list)
            for row in rows:
                by_venue[row[1]].append(row)
            for subject, vid, vs, ve in chunk:
                for contact, _v, cin, cout in by_venue[vid]:
                    if contact == subject:
                        continue
                    start, end = max(vs, cin), min(ve, cout)
                    if end <= start:
                        continue
                    key = (subject, vid, vs, contact)
                    overlap[key] += int((end - start).total_seconds() // 60) or 1
                    first_seen[key] = min(first_seen.get(key, start), start)
        min_minutes = int(policy["f1_min_minutes_small_room"])
        found = []
        for (subject, vid, _vs, contact), minutes in overlap.items():
            venue = venues.get(vid, {})
            small = venue.get("size") == VenueSize.SMALL_ENCLOSED
            room_rule = small or not large_is_notice
            grade = CLOSE if room_rule and minutes >= min_minutes else NOTICE
            start = first_seen[(subject, vid, _vs, contact)]
            text = _("%(venue)s, %(when)s, %(minutes)s min together") % {
                "venue": venue.get("place__name", "?"),
                "when": timezone.localtime(start).strftime("%d/%m/%Y %H:%M"), "minutes": minutes,
            }
            if not small:
                text += " · " + _("large space")
            found.append(Evidence(person_id=contact, source=self.name, grade=grade, start=start, minutes=minutes,
                                  small_room=small, ref=str(vid), text=text[:300], subject_id=subject))
        return found
