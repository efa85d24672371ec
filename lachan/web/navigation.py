"""The capabilities of DESIGN.md §2, in the order of the navigation. `url` is set once a capability
is built; until then its entry leads to a page that says what it will do."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from lachan.accounts.actors import is_person
from lachan.accounts.roles import Perm, Role


@dataclass(frozen=True)
class NavItem:
    slug: str
    title: str
    summary: str
    url: str = ""  # a URL name; empty while the capability is not built
    perm: str = ""  # shown to users with this permission ("" = every staff user)
    roles: tuple[str, ...] = ()  # or to these roles


def capabilities() -> list[NavItem]:
    return [
        NavItem("dashboard", _("Operations centre"), _("Indicators, map and alerts of your jurisdiction, live."), "web:home"),
        NavItem("people", _("People"), _("Everyone known to the platform, searchable; duplicates merged."), "people:list", Perm.PEOPLE_VIEW),
        NavItem("cases", _("Cases and tracing"), _("Confirmed cases (F0), contacts F1/F2/F3 with their evidence, clusters, transmission chains."), "cases:list", Perm.CASES_VIEW),
        NavItem("venues", _("Venues and QR check-in"), _("Venue registry, QR posters, check-ins, paper logbook import."), "venues:list", roles=(Role.VENUE_OWNER,)),
        NavItem("labs", _("Laboratory"), _("Sampling, pooled tests, result import, results online."), "labs:home", Perm.LABS_VIEW),
        NavItem("quarantine", _("Quarantine"), _("Orders, daily monitoring, geofence alerts, facilities, release."), "quarantine:orders", Perm.QUARANTINE_VIEW),
        NavItem("enterprises", _("Enterprises"), _("Workers, workshops, teams, shifts, buses, dormitories; on-site groups.")),
        NavItem("vaccination", _("Vaccination"), _("Doses, coverage, signed certificates and their verification.")),
        NavItem("risk", _("Risk levels and map"), _("Each unit's level from the data under the policy in force; the map."), "risk:levels", Perm.RISK_VIEW),
        NavItem("declarations", _("Citizen services"), _("Health and entry declarations, feedback, look-ups.")),
        NavItem("notifications", _("Notifications"), _("The outbox: SMS, e-mail and calls, with delivery status."), "notifications:outbox", Perm.NOTIFICATIONS_VIEW),
        NavItem("checkpoints", _("Checkpoints"), _("Traveller and vehicle declarations, plate reads, flags.")),
        NavItem("reports", _("Reports and forecasts"), _("Daily reports in the ministry's shape, epidemic curves, R(t), forecasts.")),
        NavItem("policies", _("Policies"), _("The rules in force, version by version, with their legal source: tracing, quarantine, laboratories, risk levels; drafts tried and adopted."), "policies:kinds", Perm.POLICIES_VIEW),
        NavItem("units", _("Administrative units"), _("The official units of the province, their populations and boundaries."), "geo:units"),
        NavItem("audit", _("Audit trail"), _("Who read or changed whose data, when and from where."), "accounts:audit", Perm.AUDIT_VIEW),
        NavItem("api", _("API"), _("The documented JSON API (OpenAPI 3)."), "api:openapi-view"),
    ]


def capability(slug: str) -> NavItem | None:
    return next((item for item in capabilities() if item.slug == slug), None)


def visible_to(user) -> list[NavItem]:
    if not is_person(user) or user.is_citizen:
        return []
    items = []
    for item in capabilities():
        if item.perm and not user.has_perm_code(item.perm):
            continue
        items.append(item)
    return items
