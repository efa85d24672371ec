"""The live feed of the operations centre (issue 6, item 4): what happened in one user's jurisdiction, newest
first — quarantine alerts, positive tubes released, cases confirmed, corrections to review, clusters, tracing
overdue, venues to measure and, for the readers of the audit trail, repeated refusals. Read only; each source
needs the permission of the domain it reads, through the dashboard's scope (lachan.situation.dashboard.ops_scope).

Scale: each source reads at most `limit` rows of an indexed time range from the last FEED_LOOKBACK.
Timed by a benchmark: `operations_feed(user=…)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lachan.accounts.actors import is_person, may
from lachan.accounts.roles import Perm
from lachan.cases.models import Case, CaseOrigin, Cluster, ClusterKind
from lachan.core.db import chunked
from lachan.geo.selectors import unit_labels
from lachan.labs.models import Result, ResultCorrection, Sample, SampleStatus, Swab
from lachan.quarantine.models import Alert, AlertKind, AlertStatus
from lachan.tracing.models import CallStatus, Contact, Tier, TracingRun
from lachan.venues.models import Venue
from lachan.venues.policy import venue_size_rules_on

from .dashboard import URGENT_ALERT_KINDS, OpsScope, ops_scope

FEED_LOOKBACK = timedelta(days=7)
FEED_DEFAULT, FEED_MAX = 50, 200
TRACING_DEADLINE = timedelta(hours=24)
# The quarantine alerts of the feed: a test due is the sampling teams' routine, not news.
FEED_ALERT_KINDS = (AlertKind.VIOLATION, AlertKind.SILENT, AlertKind.SYMPTOMS, AlertKind.MISSED_REPORT)


# ---- the live feed ----------------------------------------------------------------------------------------------

@dataclass
class FeedItem:
    id: str
    at: datetime
    module: str  # quarantine, labs, cases, tracing
    kind: str
    unit: str  # the unit's label (a commune's id while the feed is gathered)
    text: str
    url: str = ""
    urgent: bool = False
    extra: dict = field(default_factory=dict)


def module_label(module: str) -> str:
    return {"quarantine": _("Quarantine"), "labs": _("Laboratory"), "cases": _("Cases"),
            "tracing": _("Tracing"), "security": _("Security")}.get(module, module)


def _alert_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    # Every status, named: with the communes, the database walks (commune, status, raised_at) for the window.
    rows = (Alert.objects.filter(ops.indexed_commune_q("commune_id"), status__in=AlertStatus.values,
                                 kind__in=FEED_ALERT_KINDS, raised_at__gt=since, raised_at__lte=now)
            .values_list("pk", "kind", "raised_at", "status", "order_id", "order__code", "commune_id", "detail")
            .order_by("-raised_at", "-pk")[:limit])
    kinds = dict(AlertKind.choices)
    # An alert without an order (a case with no order in force who checked in): the case's code, the queue.
    return [FeedItem(id=f"alert-{pk}", at=at, module="quarantine", kind=kind, unit=commune,
                     text=(_("%(what)s · order %(code)s") % {"what": capfirst(kinds[kind]), "code": code}) if order_id
                     else (_("%(what)s · case %(code)s, no order in force")
                           % {"what": capfirst(kinds[kind]), "code": (detail or {}).get("case") or "—"}),
                     url=reverse("quarantine:order_monitoring", args=[order_id]) if order_id
                     else reverse("quarantine:alerts") + f"?status=all&kind={kind}",
                     urgent=kind in URGENT_ALERT_KINDS, extra={"status": status})
            for pk, kind, at, status, order_id, code, commune, detail in rows]


def _positive_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Positive tubes released: an individual tube (a person's positive), or a positive pool (its members are to
    be re-tested one by one). The tube's code, never a name."""
    rows = (Sample.objects.filter(ops.labs.samples_q(), released_at__gt=since, released_at__lte=now,
                                  status=SampleStatus.RELEASED, result=Result.POSITIVE)
            .values_list("pk", "code", "pooled", "released_at", "site__commune_id", "laboratory__place__name")
            .order_by("-released_at", "-pk")[:limit])
    out = []
    for pk, code, pooled, at, commune, lab in rows:
        text = (_("Positive pool released · tube %(code)s: its members are to be re-tested one by one") if pooled
                else _("Positive result released · tube %(code)s")) % {"code": code}
        out.append(FeedItem(id=f"sample-{pk}", at=at, module="labs", kind="positive_pool" if pooled else "positive",
                            unit=commune or lab or "", text=text, url=reverse("labs:sample_detail", args=[pk]),
                            urgent=not pooled))
    return out


def _correction_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """A positive result corrected to another: each case confirmed from the tube is now to be reviewed by the
    epidemiologists (its isolation, its contacts' quarantine); nothing undoes it by itself. Corrections are few:
    those of the window first, then the cases linked to their tubes, in the user's jurisdiction."""
    corrections = list(ResultCorrection.objects.filter(created_at__gt=since, created_at__lte=now,
                                                       previous_result=Result.POSITIVE)
                       .exclude(result=Result.POSITIVE)
                       .values_list("pk", "created_at", "sample_id", "sample__code", "result")
                       .order_by("-created_at", "-pk")[:limit])
    if not corrections:
        return []
    cases: dict = {}
    for sample_id, case_id, code, commune in (
            Swab.objects.filter(ops.commune_q("case__commune_id"), case__isnull=False,
                                sample_id__in={c[2] for c in corrections})
            .values_list("sample_id", "case_id", "case__code", "case__commune_id")
            .order_by("case__code").distinct()):
        cases.setdefault(sample_id, []).append((case_id, code, commune))
    results = dict(Result.choices)
    return [FeedItem(id=f"correction-{pk}-{case_id}", at=at, module="cases", kind="result_corrected", unit=commune,
                     url=reverse("cases:detail", args=[case_id]), urgent=True,
                     text=_("Tube %(tube)s corrected from positive to %(result)s: case %(case)s was confirmed from it "
                            "and is to be reviewed") % {"tube": tube, "result": results[result], "case": case})
            for pk, at, sample_id, tube, result in corrections for case_id, case, commune in cases.get(sample_id, [])]


def _case_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    rows = (Case.objects.filter(ops.commune_q("commune_id"), confirmed_at__gt=since, confirmed_at__lte=now)
            .values_list("pk", "code", "origin", "confirmed_at", "commune_id")
            .order_by("-confirmed_at", "-pk")[:limit])
    origins = dict(CaseOrigin.choices)
    return [FeedItem(id=f"case-{pk}", at=at, module="cases", kind="case_confirmed", unit=commune,
                     text=_("Case %(code)s confirmed (%(origin)s)") % {"code": code, "origin": origins[origin]},
                     url=reverse("cases:detail", args=[pk]), urgent=origin == CaseOrigin.COMMUNITY)
            for pk, code, origin, at, commune in rows]


def _cluster_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Clusters recorded (created_at: when it became known, whatever the day it is said to have opened). In the
    user's jurisdiction: located there, or with a case who lives there (as lachan.cases.scope). The clusters of the
    window are few: they are read first, then those located elsewhere are checked for a case living here, a chunk
    at a time. (One EXISTS over every case was costed so high that PostgreSQL compiled it with JIT each time.)"""
    queryset = Cluster.objects.filter(created_at__gt=since, created_at__lte=now)
    if ops.communes is not None:
        communes = set(ops.communes)
        window = list(queryset.values_list("pk", "commune_id"))
        shown = {pk for pk, commune_id in window if commune_id in communes}
        elsewhere = [pk for pk, commune_id in window if commune_id not in communes]
        for chunk in chunked(elsewhere, 500):
            shown.update(Case.objects.filter(cluster_id__in=chunk, commune_id__in=ops.communes)
                         .values_list("cluster_id", flat=True).distinct())
        queryset = queryset.filter(pk__in=sorted(shown)[-LIMIT_CLUSTER_IDS:])
    rows = (queryset.values_list("pk", "name", "kind", "created_at", "commune_id")
            .order_by("-created_at", "-pk")[:limit])
    kinds = dict(ClusterKind.choices)
    return [FeedItem(id=f"cluster-{pk}", at=at, module="cases", kind="cluster_opened", unit=commune or "",
                     text=_("Cluster opened: %(name)s (%(kind)s)") % {"name": name, "kind": kinds.get(kind, kind)},
                     url=reverse("cases:cluster_detail", args=[pk]), urgent=True)
            for pk, name, kind, at, commune in rows]


LIMIT_CLUSTER_IDS = 900  # a literal list SQLite takes in one statement; ids are time-ordered: the newest are kept


OVERDUE_CANDIDATES = 500  # the province's newest cases whose contacts are looked at for the feed


def _overdue_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Tracing overdue: what should have happened within TRACING_DEADLINE (24 h) of a case's confirmation and has
    not — tracing runs at confirmation and its F1s are to be called (or ordered into quarantine) the same day:

    - a case confirmed more than 24 h ago whose tracing has not run (no TracingRun): its contacts are not known;
    - a case confirmed more than 24 h ago with F1 contacts still "to call" on the call list (neither called —
      reached or not — nor marked quarantined), counted per commune of the contacts (the station that calls them).

    Each item is dated when it became overdue (confirmation + 24 h), and only those that became overdue after
    `since` are told: an item appears once, not again at every poll while it stays overdue. Both are read from the
    cases confirmed in the window (their index on `confirmed_at`), then their contacts through the index led by
    the case (the province: its newest OVERDUE_CANDIDATES cases of the window) or, in a district or commune, the
    call list's index led by the commune. Untraced cases: among the newest OVERDUE_CANDIDATES of the window."""
    deadline = TRACING_DEADLINE
    start, end = since - deadline, now - deadline
    hours = int(deadline.total_seconds() // 3600)
    out = []
    in_window = Q(confirmed_at__gt=start, confirmed_at__lte=end)
    # The newest cases of the window first (a few hundred), then whether each was traced (its run's index).
    newest_here = (Case.objects.filter(ops.commune_q("commune_id"), in_window).order_by("-confirmed_at")
                   .values("pk")[:OVERDUE_CANDIDATES])
    untraced = (Case.objects.filter(pk__in=newest_here)
                .filter(~Exists(TracingRun.objects.filter(case_id=OuterRef("pk"))))
                .values_list("pk", "code", "confirmed_at", "commune_id")
                .order_by("-confirmed_at", "-pk")[:limit])
    for pk, code, at, commune in untraced:
        out.append(FeedItem(id=f"untraced-{pk}", at=at + deadline, module="tracing", kind="tracing_not_run",
                            unit=commune, url=reverse("tracing:report", args=[pk]), urgent=True,
                            text=_("Case %(code)s: tracing has not run %(hours)d h after confirmation")
                            % {"code": code, "hours": hours}))
    contacts = Contact.objects.filter(tier=Tier.F1, call_status=CallStatus.TO_CALL,
                                      index_case__confirmed_at__gt=start, index_case__confirmed_at__lte=end)
    if ops.communes is None:
        newest = Case.objects.filter(in_window).order_by("-confirmed_at").values("pk")[:OVERDUE_CANDIDATES]
        contacts = contacts.filter(index_case_id__in=newest)
    else:
        contacts = contacts.filter(commune_id__in=ops.communes)
    groups = (contacts.values_list("index_case_id", "index_case__code", "index_case__confirmed_at", "commune_id")
              .annotate(n=Count("pk")).order_by("-index_case__confirmed_at", "commune_id")[:limit])
    for case_id, code, confirmed_at, commune_id, n in groups:
        out.append(FeedItem(
            id=f"uncalled-{case_id}-{commune_id}", at=confirmed_at + deadline, module="tracing",
            kind="contacts_not_called", unit=commune_id, url=reverse("tracing:report", args=[case_id]), urgent=False,
            text=ngettext("Case %(code)s: %(n)d F1 not called or quarantined %(hours)d h after confirmation",
                          "Case %(code)s: %(n)d F1s not called or quarantined %(hours)d h after confirmation", n)
            % {"code": code, "n": n, "hours": hours}, extra={"contacts": n}))
    return out


def _probe_items(user, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Accounts or addresses refused personal data again and again (accounts.selectors.denials_repeated): told
    when their latest refusal falls in the window. For the readers of the audit trail only."""
    from lachan.accounts.selectors import DENIAL_WINDOW_HOURS, denials_repeated

    out = []
    for row in denials_repeated(user=user):
        if not since < row["last_at"] <= now:
            continue
        who = row["actor_username"] or row["ip"] or "?"
        out.append(FeedItem(
            id=f"probe-{row['actor_username']}-{row['ip']}", at=row["last_at"], module="security",
            kind="repeated_refusals", unit="", url=reverse("accounts:audit_denials"), urgent=True,
            text=ngettext("%(who)s was refused personal data %(n)d time in %(hours)d h (address %(ip)s)",
                          "%(who)s was refused personal data %(n)d times in %(hours)d h (address %(ip)s)", row["denials"])
            % {"who": who, "n": row["denials"], "hours": DENIAL_WINDOW_HOURS, "ip": row["ip"] or "—"},
            extra={"denials": row["denials"]}))
    return out[:limit]


def feed_since(since: datetime | None, *, now: datetime) -> datetime:
    """The start of the feed's window: `since` (a time without zone is local time), at most FEED_LOOKBACK ago."""
    floor = now - FEED_LOOKBACK
    if since is None:
        return floor
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    # Clamped, then in UTC: a far-off time or an offset PostgreSQL refuses (beyond ±16 h) is never sent to it.
    return max(floor, min(since, now)).astimezone(UTC)


class FeedError(ValueError):
    """A feed request out of bounds (the API answers 422)."""


def operations_feed(*, user, since: datetime | None = None, limit: int = FEED_DEFAULT,
                    now: datetime | None = None) -> list[FeedItem]:
    """The live feed of the user's jurisdiction, newest first: quarantine alerts (left the place, silent, missed
    check-in, alarming symptoms), positive tubes released, cases confirmed, cases to review after a positive was
    corrected, clusters recorded, tracing overdue (see _overdue_items) and venues whose size is to be checked, each from a module the user may read. Items after `since` (at most FEED_LOOKBACK ago;
    default: that far back), at most `limit` (1 to FEED_MAX). Each source reads at most `limit` rows of an
    indexed time range; no names, only codes (it is shown on a big screen). Links lead to the records, whose
    pages check the reader's access and audit the read."""
    if not 1 <= limit <= FEED_MAX:
        raise FeedError(f"limit must be between 1 and {FEED_MAX}")
    now = now or timezone.now()
    since = feed_since(since, now=now)
    ops = ops_scope(user)
    items: list[FeedItem] = []
    if ops.quarantine:
        items += _alert_items(ops, since, now, limit)
    if ops.labs is not None:
        items += _positive_items(ops, since, now, limit)
    if ops.cases:
        items += _case_items(ops, since, now, limit)
        items += _correction_items(ops, since, now, limit)
        items += _cluster_items(ops, since, now, limit)
        items += _overdue_items(ops, since, now, limit)
        items += _venue_size_items(ops, since, now, limit)
    if is_person(user) and may(user, Perm.AUDIT_VIEW):
        items += _probe_items(user, since, now, limit)
    items.sort(key=lambda item: (item.at, item.id), reverse=True)
    items = items[:limit]
    # The sources read communes by id; each is named once, unambiguously ("Phường 1, TP. Mỹ Tho").
    labels = unit_labels(item.unit for item in items if isinstance(item.unit, int))
    for item in items:
        if isinstance(item.unit, int) or item.unit is None:
            item.unit = labels.get(item.unit, "")
    return items


def _venue_size_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """A venue traced as a small room that held more people at once than a small room holds (venues.crowd_peaks,
    nightly): its commune station is to check its size (lachan.venues.policy.VenueSizeRules.crowded)."""
    rules = venue_size_rules_on(timezone.localdate(now))
    rows = (Venue.objects.filter(ops.commune_q("place__commune_id"), crowd_peak_at__gt=since, crowd_peak_at__lte=now,
                                 crowd_peak__gte=rules.large_min_capacity)
            .select_related("place__commune__parent").order_by("-crowd_peak_at", "-pk")[:limit])
    return [FeedItem(id=f"venue-size-{v.pk}-{v.crowd_peak}", at=v.crowd_peak_at, module="tracing", kind="venue_size",
                     unit=v.place.commune.label, url=reverse("venues:detail", args=[v.pk]),
                     text=_("%(venue)s, traced as a small room, held %(n)s people at once: its size is to be checked")
                     % {"venue": v.place.name, "n": v.crowd_peak})
            for v in rows if rules.crowded(v)]


def feed_item_dict(item: FeedItem) -> dict:
    return {"id": item.id, "at": item.at, "module": item.module, "module_label": module_label(item.module),
            "kind": item.kind, "unit": item.unit, "text": item.text, "url": item.url or None, "urgent": item.urgent,
            **({"extra": item.extra} if item.extra else {})}
