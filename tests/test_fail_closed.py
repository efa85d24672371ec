"""Fail closed (issue 12, item 3): a selector or permission check given `user=None` — a forgotten argument,
an anonymous request — gives nothing (empty, 404, PermissionDenied); background work names itself with a
system actor, which reaches the whole province and is recorded as such in the audit trail.

The walk finds every function of the platform that takes a `user` (new selectors included) and calls it with
None over a province holding a case, contacts, orders, tubes, a venue and risk levels. A function whose
other arguments the walk cannot make fails the test: add a maker to ARGUMENTS (or, if `user` is not the
reader, the function to NOT_A_READER)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

import lachan
from lachan.accounts.actors import PUBLIC, SystemActor, as_user, is_system, may, system_actor
from lachan.accounts.jurisdiction import Scope, scope_for
from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Perm
from lachan.cases.models import Case, CaseOrigin, Cluster
from lachan.core.errors import NotFound, PermissionDenied
from lachan.geo.models import Place, PlaceKind
from lachan.labs.models import Campaign, Sample, Swab
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.notifications.models import Message
from lachan.people.models import Person
from lachan.quarantine.models import Alert, Facility, Order
from lachan.risk.models import RiskAssessment
from lachan.tracing.models import Contact
from lachan.tracing.selectors import ChainFilter
from lachan.venues.models import Venue

pytestmark = pytest.mark.django_db

SYSTEM = system_actor("tests.fail_closed")

# Functions whose `user` is the subject acted on, not the reader whose reach is checked.
NOT_A_READER = {
    "lachan.accounts.actors.is_system", "lachan.accounts.actors.is_public", "lachan.accounts.actors.is_person",
    "lachan.accounts.actors.may",  # tested below
    "lachan.accounts.middleware.user_needs_otp",
    "lachan.accounts.services.user_set_jurisdiction", "lachan.accounts.services.user_deactivate",
    "lachan.accounts.services.user_activate", "lachan.accounts.services.user_set_language",
    "lachan.accounts.services.api_token_create", "lachan.accounts.services.api_token_revoke",
    "lachan.accounts.services.totp_device_confirmed", "lachan.accounts.services.totp_device_start",
    "lachan.accounts.services.totp_device_pending", "lachan.accounts.services.totp_device_confirm",
    "lachan.accounts.services.totp_device_remove",
    "lachan.people.receivers.link_citizen_account",
    "lachan.venues.api.checkin_answer", "lachan.venues.api.batch_answer",
}
SKIPPED_PACKAGES = ("lachan.simulate", "lachan.settings")
# What the citizens' map's reader (PUBLIC) is given by design: the public layers and where the map opens.
PUBLIC_BY_DESIGN = {"lachan.situation.map_layers.layers_for", "lachan.situation.map_layers.map_view_of"}
METADATA = {"kind", "label", "name", "type", "on", "days", "user", "scope", "chart", "generated_at", "today"}

# Filters returned as Q: the model they filter.
Q_MODELS = {
    "lachan.cases.scope.cluster_scope_q": Cluster,
    "lachan.labs.access.campaign_scope_q": Campaign,
    "lachan.labs.access.sample_scope_q": Sample,
    "lachan.labs.access.swab_scope_q": Swab,
    "lachan.quarantine.access.order_scope_q": Order,
    "lachan.quarantine.access.facility_scope_q": "quarantine.Facility",
    "lachan.risk.levels.selectors.unit_scope_q": RiskAssessment,
}


def _arguments(w):
    """The other arguments by name: real objects of the province, so that a permissive branch shows."""
    yesterday = timezone.localdate() - timedelta(days=1)
    return {
        "perm": Perm.CASES_VIEW, "case_id": w.case.pk, "case": w.case, "cluster_id": w.cluster.pk, "cluster": w.cluster,
        "campaign_id": w.campaign.pk, "campaign": w.campaign, "commune": w.units.commune, "site_id": w.site.pk,
        "site": w.site, "ids": [w.sample.pk, w.an.pk], "sample": w.sample, "sample_id": w.sample.pk,
        "swab_id": w.swab.pk, "swab_ids": [w.swab.pk], "swabs": [w.swab], "query": "Nguyễn", "purpose": "test",
        "filters": {}, "person_id": w.an.pk, "person": w.an, "candidate_id": w.an.pk, "order_id": w.order.pk,
        "order": w.order, "orders": [w.order], "code": w.order.code, "facility_id": w.facility.pk,
        "facility": w.facility,
        "room_id": w.an.pk, "kind": "", "alert_id": w.an.pk, "alerts": [], "on": yesterday, "pk": 1,
        "alert": Alert(kind="violation", order=w.order, commune_id=w.order.commune_id),
        "unit": w.units.province, "contact_id": w.contact.pk, "venue_id": w.venue.pk, "venue": w.venue,
        "layer": "cases", "import_id": w.an.pk, "mapping_id": w.an.pk, "tests": [], "cases": [w.case],
        "contacts": [w.contact], "rows": [], "message": w.message, "version": "test", "valid_from": yesterday,
        "rules": {}, "source": "test", "logbook_id": w.an.pk, "logbook": None, "visitors": [],
        "where": ChainFilter(),
    }


def _readers():
    """Every function of the platform with a parameter `user`, by qualified name."""
    found = {}
    for info in pkgutil.walk_packages(lachan.__path__, "lachan."):
        name = info.name
        if ".tests" in name or ".migrations" in name or ".management" in name or name.startswith(SKIPPED_PACKAGES):
            continue
        module = importlib.import_module(name)
        for attr, func in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(func) or func.__module__ != name:
                continue
            if "user" in inspect.signature(func).parameters and f"{name}.{attr}" not in NOT_A_READER:
                found[f"{name}.{attr}"] = func
    return found


def _nothing(value, qualname: str) -> bool:
    if value is None or value is False or value == 0 or value == "" or isinstance(value, (date, datetime)):
        return True
    if isinstance(value, QuerySet):
        return not value.exists()
    if isinstance(value, Scope):
        return value.is_empty
    if isinstance(value, Q):
        model = Q_MODELS.get(qualname)
        assert model is not None, f"{qualname} returns a Q: add the model it filters to Q_MODELS"
        if isinstance(model, str):
            from django.apps import apps

            model = apps.get_model(model)
        return not model.objects.filter(value).exists()
    if isinstance(value, dict):
        return all(_nothing(v, qualname) for k, v in value.items() if k not in METADATA)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_nothing(v, qualname) for v in value)
    if is_dataclass(value):
        return all(_nothing(getattr(value, f.name), qualname) for f in fields(value) if f.name not in METADATA)
    return False


@pytest.fixture
def province(lab_world, units):
    """A province worked on by background jobs only (the system actor): a confirmed and traced case, its
    isolation, a cluster, a tube in a laboratory, a venue, risk levels."""
    from lachan.venues.services import venue_register
    from lachan.workflows.case_confirmation import case_confirm_and_trace
    from lachan.workflows.quarantine_orders import case_isolate
    from lachan.workflows.risk_levels import risk_levels_compute

    w = lab_world
    today = timezone.localdate()
    confirmed = case_confirm_and_trace(person=w.an, onset_date=today - timedelta(days=3),
                                       sample_date=today - timedelta(days=1), origin=CaseOrigin.COMMUNITY, by=SYSTEM)
    w.case = confirmed.case
    w.order = case_isolate(case=w.case, by=SYSTEM)
    w.contact = Contact.objects.filter(index_case=w.case).first()
    w.cluster = Cluster.objects.create(name="Chợ Mỹ Tho", kind="community", commune=units.commune,
                                       opened_on=today - timedelta(days=2))
    Case.objects.filter(pk=w.case.pk).update(cluster=w.cluster)
    w.sample = w.make_sample("S-PROV", [w.an, w.wife], lab=w.lab, campaign=w.campaign)
    w.swab = w.sample.swabs.first()
    place = Place.objects.create(kind=PlaceKind.QUARANTINE_FACILITY, name="Khu cách ly KTX", commune=units.commune)
    w.facility = Facility.objects.create(place=place)
    w.venue = venue_register(by=SYSTEM, name="Quán cà phê Sáng", kind="restaurant", size="small",
                             commune=units.commune, address="1 Ấp Bắc")
    w.message = Message.objects.order_by("created_at").first()
    w.levels = risk_levels_compute(on=today - timedelta(days=1), by=SYSTEM)
    return w


def test_background_work_as_the_system_actor(province):
    w = province
    assert w.contact is not None
    assert Order.objects.filter(case=w.case).exists() and RiskAssessment.objects.exists()
    assert Venue.objects.filter(pk=w.venue.pk, owner__isnull=True).exists()
    # Stored as by no user; named in the audit trail with its job.
    assert Case.objects.get(pk=w.case.pk).created_by is None
    events = AuditEvent.objects.filter(action="case.confirm", person_id=w.an.pk)
    assert [(e.actor_id, e.actor_username, e.actor_role) for e in events] == [
        (None, "system:tests.fail_closed", "system")]
    # The whole province: every person, case, contact, order, tube.
    from lachan.cases.selectors import cases_in_scope
    from lachan.labs.sampling.selectors import samples_in_scope
    from lachan.people.access import people_in_scope
    from lachan.quarantine.orders import orders_in_scope
    from lachan.tracing.selectors import contacts_in_scope

    assert people_in_scope(SYSTEM).count() == Person.objects.active().count()
    assert list(cases_in_scope(SYSTEM)) == [w.case]
    assert contacts_in_scope(SYSTEM).count() == Contact.objects.count() > 0
    assert orders_in_scope(SYSTEM).count() == Order.objects.count() > 0
    assert samples_in_scope(SYSTEM).count() == Sample.objects.count() > 0
    assert scope_for(SYSTEM).unit_id == w.units.province.pk


def test_none_anonymous_and_the_public_get_nothing(province):
    from django.contrib.auth.models import AnonymousUser

    w = province
    arguments = _arguments(w)
    readers = _readers()
    assert len(readers) > 100  # the walk found the platform's selectors
    missing, leaks = [], []
    for reader in (None, AnonymousUser(), PUBLIC):
        for qualname, func in sorted(readers.items()):
            kwargs = {}
            for name, param in inspect.signature(func).parameters.items():
                if name == "user" or param.default is not inspect.Parameter.empty:
                    continue
                if param.kind is inspect.Parameter.VAR_KEYWORD or param.kind is inspect.Parameter.VAR_POSITIONAL:
                    continue
                if name not in arguments:
                    missing.append(f"{qualname}({name})")
                    continue
                kwargs[name] = arguments[name]
            if any(m.startswith(qualname + "(") for m in missing):
                continue
            if reader is PUBLIC and qualname in PUBLIC_BY_DESIGN:
                continue
            try:
                value = func(user=reader, **kwargs)
            except (PermissionDenied, NotFound, DjangoPermissionDenied, Http404):
                continue
            except Exception as exc:  # noqa: BLE001 — a crash on None is a server error, not a refusal
                leaks.append(f"{qualname} raised for {reader!r}: {exc!r}"[:300])
                continue
            if not _nothing(value, qualname):
                leaks.append(f"{qualname} gave {reader!r}: {value!r}"[:300])
    assert not missing, "add these arguments to _arguments(): " + ", ".join(sorted(set(missing)))
    assert not leaks, "\n".join(leaks)


def test_the_same_walk_reaches_the_province_as_the_system(province):
    """The walk is not vacuous: the readers that gave nothing to None give the system actor something."""
    from lachan.cases.selectors import case_get
    from lachan.labs.sampling.selectors import sample_swabs
    from lachan.tracing.selectors import tracing_report

    w = province
    assert case_get(user=SYSTEM, case_id=w.case.pk) == w.case
    assert sample_swabs(user=SYSTEM, sample=w.sample).visible
    assert tracing_report(user=SYSTEM, case_id=w.case.pk)["contacts"]
    for reader in (None, PUBLIC):
        with pytest.raises((PermissionDenied, NotFound)):
            case_get(user=reader, case_id=w.case.pk)


def test_permission_predicates():
    from django.contrib.auth.models import AnonymousUser

    assert may(SYSTEM, Perm.USERS_MANAGE) and is_system(SYSTEM)
    assert not may(None, Perm.CASES_VIEW) and not may(AnonymousUser(), Perm.CASES_VIEW)
    assert not may(PUBLIC, Perm.RISK_VIEW)
    assert as_user(SYSTEM) is None and as_user(None) is None
    assert scope_for(None).is_empty and scope_for(PUBLIC).is_empty and scope_for(AnonymousUser()).is_empty
    with pytest.raises(ValueError):
        SystemActor(job=" ")


def test_an_inactive_account_gets_nothing(province, make_user):
    from lachan.accounts.roles import Role
    from lachan.cases.selectors import case_list

    w = province
    gone = make_user(Role.PROVINCE_ADMIN, unit=w.units.province, username="gone")
    assert case_list(user=gone).exists()
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        case_list(user=gone)


def test_the_daily_risk_job_runs_as_the_system(province, units):
    from lachan.workflows.risk_levels import risk_levels_daily

    assert risk_levels_daily()
    events = AuditEvent.objects.filter(action="risk.compute", actor_username="system:workflows.risk_levels")
    assert events.exists() and {e.actor_role for e in events} == {"system"}


def test_a_forgotten_actor_is_refused(province):
    from lachan.workflows.risk_levels import risk_levels_compute

    with pytest.raises(TypeError):  # `by` is required: no default that would mean "the system"
        risk_levels_compute(on=timezone.localdate() - timedelta(days=1))
    with pytest.raises((PermissionDenied, NotFound)):
        risk_levels_compute(on=timezone.localdate() - timedelta(days=1), by=None)

