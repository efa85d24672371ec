"""Roles of DESIGN.md §1 and what each may do. Jurisdiction (where) is separate from role (what)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("province administrator")
    EPIDEMIOLOGIST = "epidemiologist", _("provincial CDC epidemiologist")
    DISTRICT_OFFICER = "district_officer", _("district health officer")
    COMMUNE_STATION = "commune_station", _("commune health station")
    LAB_STAFF = "lab_staff", _("laboratory staff")
    ENTERPRISE_OFFICER = "enterprise_officer", _("enterprise HR / safety officer")
    VENUE_OWNER = "venue_owner", _("venue owner")
    CHECKPOINT_OFFICER = "checkpoint_officer", _("checkpoint officer")
    IOC_OPERATOR = "ioc_operator", _("operations-centre operator")
    CITIZEN = "citizen", _("citizen")


class Perm(models.TextChoices):
    PEOPLE_VIEW = "people.view", _("view people")
    PEOPLE_EDIT = "people.edit", _("create and edit people")
    PEOPLE_MERGE = "people.merge", _("merge duplicate people")
    PEOPLE_EXPORT = "people.export", _("export people")
    AUDIT_VIEW = "audit.view", _("search the audit trail")
    USERS_MANAGE = "users.manage", _("manage accounts")
    GEO_EDIT = "geo.edit", _("edit administrative units")
    NOTIFICATIONS_VIEW = "notifications.view", _("see the notification outbox")
    CASES_VIEW = "cases.view", _("view cases, contacts and tracing reports")
    CASES_EDIT = "cases.edit", _("confirm cases, run tracing, enter interview contacts")
    CONTACTS_CALL = "contacts.call", _("work the contact call list")
    LABS_VIEW = "labs.view", _("view samples and test results")
    LABS_SAMPLE = "labs.sample", _("plan sampling and register samples")
    LABS_RESULT = "labs.result", _("receive samples, enter and import results")
    QUARANTINE_VIEW = "quarantine.view", _("view quarantine and isolation orders, monitoring and alerts")
    QUARANTINE_EDIT = "quarantine.edit", _("create and change quarantine orders, record daily check-ins")
    QUARANTINE_ALERTS = "quarantine.alerts", _("handle quarantine alerts")
    RISK_VIEW = "risk.view", _("view risk levels and their reasons")
    RISK_EDIT = "risk.edit", _("compute and override risk levels, enter vaccination and capacity inputs")
    POLICIES_VIEW = "policies.view", _("read the policy versions (tracing, quarantine, labs, risk…)")
    POLICIES_MANAGE = "policies.manage", _("draft, try and adopt policy versions (province-wide accounts only)")


_STAFF_READ = {Perm.PEOPLE_VIEW}
_STAFF_WORK = _STAFF_READ | {Perm.PEOPLE_EDIT, Perm.PEOPLE_EXPORT}
_CASE_WORK = {Perm.CASES_VIEW, Perm.CASES_EDIT, Perm.CONTACTS_CALL}
_SAMPLING = {Perm.LABS_VIEW, Perm.LABS_SAMPLE}
_QUARANTINE = {Perm.QUARANTINE_VIEW, Perm.QUARANTINE_EDIT, Perm.QUARANTINE_ALERTS}
_RISK = {Perm.RISK_VIEW, Perm.RISK_EDIT}
_POLICIES = {Perm.POLICIES_VIEW}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset(Perm.values),
    # Policy managers: the epidemiologists (and administrators) of the province, bound to the province itself.
    Role.EPIDEMIOLOGIST: frozenset(_STAFF_WORK | _CASE_WORK | _SAMPLING | _QUARANTINE | _RISK | _POLICIES
                                   | {Perm.PEOPLE_MERGE, Perm.NOTIFICATIONS_VIEW, Perm.POLICIES_MANAGE}),
    Role.DISTRICT_OFFICER: frozenset(_STAFF_WORK | _CASE_WORK | _SAMPLING | _QUARANTINE | _POLICIES
                                     | {Perm.PEOPLE_MERGE, Perm.RISK_VIEW}),
    # A commune station reads its commune's level and the lockdown areas it enforces.
    Role.COMMUNE_STATION: frozenset(_STAFF_WORK | _CASE_WORK | _SAMPLING | _QUARANTINE | _POLICIES
                                    | {Perm.PEOPLE_MERGE, Perm.RISK_VIEW}),
    Role.LAB_STAFF: frozenset(_STAFF_WORK | _POLICIES | {Perm.LABS_VIEW, Perm.LABS_SAMPLE, Perm.LABS_RESULT}),
    Role.ENTERPRISE_OFFICER: frozenset(_STAFF_WORK | {Perm.LABS_VIEW}),
    Role.VENUE_OWNER: frozenset(),
    Role.CHECKPOINT_OFFICER: frozenset(_STAFF_READ),
    Role.IOC_OPERATOR: frozenset(_STAFF_READ | {Perm.NOTIFICATIONS_VIEW, Perm.CASES_VIEW, Perm.LABS_VIEW,
                                                  Perm.QUARANTINE_VIEW, Perm.QUARANTINE_ALERTS, Perm.RISK_VIEW,
                                                  Perm.POLICIES_VIEW}),
    Role.CITIZEN: frozenset(),
}

# Which kind of jurisdiction each role is bound to: an administrative level or a kind of place.
ROLE_JURISDICTION: dict[str, str | None] = {
    Role.PROVINCE_ADMIN: "province",
    Role.EPIDEMIOLOGIST: "province",
    Role.IOC_OPERATOR: "province",
    Role.DISTRICT_OFFICER: "district",
    Role.COMMUNE_STATION: "commune",
    Role.LAB_STAFF: "laboratory",
    Role.ENTERPRISE_OFFICER: "enterprise",
    Role.VENUE_OWNER: "venue",
    Role.CHECKPOINT_OFFICER: "checkpoint",
    Role.CITIZEN: None,
}
