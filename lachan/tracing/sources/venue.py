from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.db import db_datetime

from .base import CLOSE, NOTICE, Evidence, Window

CHUNK = 200  # OR-ed conditions per query: one query per batch of windows or visits, not one per row


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


_uuids: dict[str, UUID] = {}


def uuid_cached(value) -> UUID:
    # SQLite gives ids as hex text; the same venues and people recur on every row, so parse each once.
    if isinstance(value, UUID):
        return value
    found = _uuids.get(value)
    if found is None:
        if len(_uuids) > 200_000:
            _uuids.clear()
        found = _uuids[value] = UUID(value)
    return found


def _db_id(value: UUID):
    return value.hex if connection.vendor == "sqlite" else value


def stays_merged(stays: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """One person's stays at one venue as disjoint spans: two stored rows for one stay (scanned twice, a QR scan and
    the paper logbook, a retry past the dedupe window) are one stay, measured once."""
    merged: list[list[datetime]] = []
    for start, end in sorted(stays):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


class VenueSource:
    """Co-presence at venues: the subject's own check-ins in the window, then everyone whose stay at the
    same venue overlapped. A small enclosed room for long enough is close contact; a large space (a
    supermarket) is an exposure notice, so one visit does not quarantine hundreds of shoppers.

    Plain SQL on the covering indexes (venue, check-in, check-out, person) and (person, check-in): building
    hundreds of OR-ed ORM conditions cost more than running them."""

    name = "venue"

    def exposures(self, *, person, start, end, policy):
        return self.exposures_many(windows=[Window(person, start, end)], policy=policy)

    def _rows(self, term: str, params_of, items) -> list[tuple]:
        from lachan.venues.models import CheckIn

        table = connection.ops.quote_name(CheckIn._meta.db_table)
        rows: list[tuple] = []
        with connection.cursor() as cursor:
            for i in range(0, len(items), CHUNK):
                chunk = items[i:i + CHUNK]
                sql = (f"SELECT person_id, venue_id, checked_in_at, checked_out_at FROM {table} WHERE "
                       + " OR ".join([f"({term})"] * len(chunk)))
                cursor.execute(sql, [p for item in chunk for p in params_of(item)])
                rows.extend(cursor.fetchall())
        return rows

    def exposures_many(self, *, windows: list[Window], policy):
        from lachan.venues.models import Venue, VenueSize
        from lachan.venues.policy import venue_size_rules

        by_person = {w.person_id: w for w in windows}
        own = self._rows("person_id = %s AND checked_in_at < %s AND checked_out_at > %s",
                         lambda w: (_db_id(w.person_id), db_datetime(w.end), db_datetime(w.start)), list(by_person.values()))
        own_stays = defaultdict(list)  # (subject, venue) -> stays clipped to the subject's window
        for pid, vid, cin, cout in own:
            w = by_person[uuid_cached(pid)]
            own_stays[(w.person_id, uuid_cached(vid))].append((max(_aware(cin), w.start), min(_aware(cout), w.end)))
        visits = [(subject, vid, start, end) for (subject, vid), stays in own_stays.items()
                  for start, end in stays_merged(stays)]
        if not visits:
            return []
        # The size the policy derives (kind, capacity, area; never smaller than declared), or the station's.
        sizes = venue_size_rules(policy)
        venues = {v["pk"]: {**v, "size": sizes.traced(kind=v["kind"], declared=v["size"], capacity=v["capacity"],
                                                      area_m2=v["area_m2"], confirmed=v["size_confirmed"])}
                  for v in Venue.objects.filter(pk__in={v[1] for v in visits}).values(
                      "pk", "size", "kind", "capacity", "area_m2", "size_confirmed", "place__name")}
        large_is_notice = bool(policy.get("large_venue_is_notice", True))
        if policy.get("close_only") and large_is_notice:
            # Only close contacts wanted (F2 search): a large space never makes one, so skip its crowd.
            visits = [v for v in visits if venues.get(v[1], {}).get("size") == VenueSize.SMALL_ENCLOSED]
            if not visits:
                return []
        max_stay = timedelta(minutes=int(policy["max_stay_minutes"]))
        # A bounded stay turns "overlaps the visit" into a range scan on (venue, check-in time).
        rows = self._rows("venue_id = %s AND checked_in_at >= %s AND checked_in_at < %s AND checked_out_at > %s",
                          lambda v: (_db_id(v[1]), db_datetime(v[2] - max_stay), db_datetime(v[3]), db_datetime(v[2])), visits)
        stays_of = defaultdict(set)  # (venue, person) -> stays; a row read for two visits is one stay
        for pid, vid, cin, cout in rows:
            stays_of[(uuid_cached(vid), pid)].add((_aware(cin), _aware(cout)))
        by_venue = defaultdict(list)  # venue -> (person, merged stay)
        for (vid, pid), stays in stays_of.items():
            by_venue[vid].extend((pid, start, end) for start, end in stays_merged(list(stays)))
        overlap = defaultdict(float)  # (subject, venue, visit start, contact) -> seconds together
        first_seen = {}
        for subject, vid, vs, ve in visits:
            subject_key = _db_id(subject) if connection.vendor == "sqlite" else subject
            for contact, cin, cout in by_venue[vid]:
                if contact == subject_key:
                    continue
                start, end = max(vs, cin), min(ve, cout)
                if end <= start:
                    continue
                key = (subject, vid, vs, contact)
                overlap[key] += (end - start).total_seconds()
                seen = first_seen.get(key)
                if seen is None or start < seen:
                    first_seen[key] = start
        min_minutes = int(policy["f1_min_minutes_small_room"])
        together = _("%(venue)s, %(when)s, %(minutes)s min together")
        large_space = " · " + _("large space")
        found = []
        for key, seconds in overlap.items():
            subject, vid, _vs, contact = key
            minutes = int(seconds // 60) or 1
            venue = venues.get(vid, {})
            small = venue.get("size") == VenueSize.SMALL_ENCLOSED
            grade = CLOSE if (small or not large_is_notice) and minutes >= min_minutes else NOTICE
            start = first_seen[key]
            text = together % {"venue": venue.get("place__name", "?"),
                               "when": timezone.localtime(start).strftime("%d/%m/%Y %H:%M"), "minutes": minutes}
            if not small:
                text += large_space
            found.append(Evidence(person_id=uuid_cached(contact), source=self.name, grade=grade, start=start, minutes=minutes,
                                  small_room=small, ref=str(vid), text=text[:300], subject_id=subject))
        return found
