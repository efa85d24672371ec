"""Sampling pages: the labs home (campaigns, the lab's queue), campaigns and their sites, the sampling desk
of a site, samples, labels (PDF), and the laboratory's receiving and rejecting. Result pages are in
results_views.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.dates import instant_parse
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.numbers import int_or_none
from lachan.core.pagination import page_of

from ..errors import LabErrorCode
from ..models import CampaignKind, SampleStatus, SwabReason
from ..policy import lab_rules
from . import registering, selectors, services
from .forms import (
    REJECT_REASONS,
    BlankLabelsForm,
    CampaignForm,
    ReceiveForm,
    RejectForm,
    SiteForm,
    apply_errors,
)
from .labels import Label, label_of, labels_pdf

CAMPAIGN_STATUSES = (("running", gettext_lazy("running")), ("ended", gettext_lazy("ended")))
MAX_LABELS = 500


def _int_or_none(value) -> int | None:
    return int_or_none(value, max_digits=5)


def _query_string(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# ---- home and campaigns ------------------------------------------------------------------------------

@staff_view(Perm.LABS_VIEW)
def home(request):
    """Campaigns the user sees (filters, pages) and, for laboratory staff, their queue."""
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    queryset = selectors.campaign_list(user=request.user, query=request.GET.get("q", ""),
                                       kind=kind if kind in CampaignKind.values else "",
                                       status=status if status in dict(CAMPAIGN_STATUSES) else "")
    lab = selectors.user_laboratory(request.user)
    can_receive = request.user.has_perm_code(Perm.LABS_RESULT)
    page = page_of(queryset, page=request.GET.get("page"), size=50)
    selectors.with_sample_counts(page.items)
    return render(request, "labs/home.html", {
        "page": page, "query_string": _query_string(request),
        "kinds": CampaignKind.choices, "statuses": CAMPAIGN_STATUSES, "kind": kind, "status": status,
        "q": request.GET.get("q", ""), "lab": lab, "can_receive": can_receive,
        "queue": selectors.lab_queue_counts(user=request.user) if lab or can_receive else None,
        "can_plan": request.user.has_perm_code(Perm.LABS_SAMPLE) and selectors.campaign_units(
            user=request.user).exists(),
    })


def _campaign_form(request, data=None, **kwargs) -> CampaignForm:
    return CampaignForm(data, units=selectors.campaign_units(user=request.user),
                        laboratories=selectors.laboratories(), **kwargs)


@staff_view(Perm.LABS_SAMPLE)
def campaign_create(request):
    form = _campaign_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Campaign created. Add its sampling sites."))
            return redirect("labs:campaign_detail", campaign_id=campaign.pk)
    return render(request, "labs/campaign_form.html", {"form": form, "campaign": None})


@staff_view(Perm.LABS_SAMPLE)
def campaign_edit(request, campaign_id):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    if not selectors.campaign_managed_by(campaign, request.user):
        raise PermissionDenied(LabErrorCode.PERMISSION, _("Only the health service of the campaign's area can change it."))
    initial = {f: getattr(campaign, f) for f in services.CAMPAIGN_FIELDS}
    form = _campaign_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("labs:campaign_detail", campaign_id=campaign.pk)
    return render(request, "labs/campaign_form.html", {"form": form, "campaign": campaign})


def _campaign_page(request, campaign, *, site_form=None, blank_form=None):
    sites = selectors.campaign_sites(campaign=campaign)
    status = request.GET.get("status", "")
    round_ = _int_or_none(request.GET.get("round"))
    site_id = request.GET.get("site", "")
    site = next((s for s in sites if str(s.pk) == site_id), None)
    samples = selectors.sample_list(user=request.user, campaign=campaign, site=site, round=round_,
                                    status=status if status in SampleStatus.values else "",
                                    code=request.GET.get("code", ""))
    page = page_of(samples, page=request.GET.get("page"), size=50)
    can_sample = request.user.has_perm_code(Perm.LABS_SAMPLE)
    communes = selectors.site_communes(user=request.user, campaign=campaign) if can_sample else None
    rules = lab_rules()
    return render(request, "labs/campaign_detail.html", {
        "campaign": campaign, "sites": sites, "rounds": selectors.campaign_rounds(campaign=campaign),
        "page": page, "query_string": _query_string(request), "statuses": SampleStatus.choices,
        "status": status, "round": round_, "site": site, "code": request.GET.get("code", ""),
        "can_sample": can_sample, "can_manage": can_sample and selectors.campaign_managed_by(campaign, request.user),
        "site_form": site_form or (SiteForm(communes=communes) if communes is not None and communes.exists() else None),
        "blank_form": blank_form or (BlankLabelsForm(sites=sites) if can_sample else None),
        "label_ids": [s.pk for s in page.items], "rules": rules,
    })


@staff_view(Perm.LABS_VIEW)
def campaign_detail(request, campaign_id):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    return _campaign_page(request, campaign)


@require_POST
@staff_view(Perm.LABS_SAMPLE)
def campaign_next_round(request, campaign_id):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    try:
        campaign = services.campaign_next_round(campaign=campaign, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Round %(n)d started.") % {"n": campaign.current_round})
    return redirect("labs:campaign_detail", campaign_id=campaign.pk)


@require_POST
@staff_view(Perm.LABS_SAMPLE)
def site_create(request, campaign_id):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    form = SiteForm(request.POST, communes=selectors.site_communes(user=request.user, campaign=campaign))
    if form.is_valid():
        try:
            site = services.site_create(campaign=campaign, by=request.user, **form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Site %(name)s added.") % {"name": site.name})
            return redirect("labs:campaign_detail", campaign_id=campaign.pk)
    return _campaign_page(request, campaign, site_form=form)


@staff_view(Perm.LABS_SAMPLE)
def site_edit(request, site_id):
    site = selectors.site_get(user=request.user, site_id=site_id)
    if not selectors.site_managed_by(site, request.user):
        raise PermissionDenied(LabErrorCode.PERMISSION, _("This site is outside your jurisdiction."))
    communes = selectors.site_communes(user=request.user, campaign=site.campaign)
    form = SiteForm(request.POST or None, communes=communes,
                    initial={"name": site.name, "commune": site.commune_id, "address": site.address})
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(site=site, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Site saved."))
            return redirect("labs:campaign_detail", campaign_id=site.campaign_id)
    return render(request, "labs/site_form.html", {"form": form, "site": site})


# ---- the sampling desk -------------------------------------------------------------------------------

class _Desk:
    """What the desk form carries from one request to the next: the tube code, the mode, the reason and
    the people added so far (their ids, in order)."""

    def __init__(self, request, campaign):
        raw = request.POST if request.method == "POST" else request.GET
        data = {k: raw.get(k, "").replace("\x00", "") for k in ("code", "mode", "generate", "reason", "q", "paste",
                                                                "collected_at")}
        self.code = services.code_normalize(data.get("code", ""))[:40]
        default_mode = "pool" if campaign.pool_size > 1 else "single"
        self.mode = data.get("mode") if data.get("mode") in ("pool", "single") else default_mode
        self.generate = bool(data.get("generate"))
        self.reason = data.get("reason") if data.get("reason") in SwabReason.values else SwabReason.SCREENING
        self.query = data.get("q", "").strip()[:100]
        self.paste = data.get("paste", "")
        self.collected_at = data.get("collected_at", "")
        ids = raw.getlist("member") if request.method == "POST" else []
        self.members = selectors.people_by_ids(user=request.user, ids=ids[:60])


def _collected_at(raw: str):
    if not raw:
        return None
    value = instant_parse(raw)
    if value is None:
        raise DomainError(LabErrorCode.DATE_INVALID, _("Enter a valid date and time."), field="collected_at")
    return value


@staff_view(Perm.LABS_SAMPLE)
def desk(request, site_id):
    """Register tubes at a site, one after another: scan (or type, or generate) the tube code, add the
    people one by one (search by name, CCCD or phone; or paste a list), save, print, next."""
    site = selectors.site_get(user=request.user, site_id=site_id, perm=Perm.LABS_SAMPLE)
    campaign = site.campaign
    state = _Desk(request, campaign)
    rules = lab_rules()
    limit = 1 if state.mode == "single" else rules["max_pool_size"]
    errors: list[str] = []
    candidates = []
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        add = request.POST.get("add")
        remove = request.POST.get("remove")
        if remove:
            state.members = [p for p in state.members if str(p.pk) != remove]
        elif add:
            person = selectors.people_by_ids(user=request.user, ids=[add])
            _add_members(state, person, limit, errors)
            state.query = ""
        elif action == "paste" and state.paste.strip():
            found = registering.people_resolve([v for v in services.parse_codes(state.paste) if v], by=request.user)
            for value in found:
                if isinstance(value, DomainError):
                    errors.append(str(value.message))
            _add_members(state, [p for p in found if not isinstance(p, DomainError)], limit, errors)
            state.paste = "" if not errors else state.paste
        elif action == "save":
            try:
                sample = registering.sample_register(
                    campaign=campaign, site=site, code=state.code, generate_code=state.generate,
                    swabs=state.members, pooled=state.mode == "pool", reason=state.reason,
                    collected_at=_collected_at(state.collected_at), by=request.user)
            except ValidationFailed as exc:
                errors.extend(str(e.message) for e in exc.errors)
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                errors.append(str(exc.message))
            else:
                return redirect(f"{request.path}?saved={sample.pk}&mode={state.mode}&reason={state.reason}")
        if state.query and action in ("find", "") and not add and not remove:
            candidates = selectors.person_candidates(user=request.user, query=state.query)
            if len(candidates) == 1 and selectors.query_is_identifier(state.query):
                _add_members(state, candidates, limit, errors)  # a scanned CCCD or a phone: added at once
                candidates, state.query = [], ""
            elif not candidates:
                errors.append(_("Nobody found for “%(q)s” in your jurisdiction.") % {"q": state.query})
    saved = None
    if request.GET.get("saved"):
        try:
            saved = selectors.sample_get(user=request.user, sample_id=request.GET["saved"])
            saved.member_count = saved.swabs.count()
        except NotFound:
            saved = None
    return render(request, "labs/desk.html", {
        "site": site, "campaign": campaign, "state": state, "candidates": candidates, "errors": errors,
        "limit": limit, "rules": rules, "reasons": SwabReason.choices, "saved": saved,
        "chosen": {p.pk for p in state.members},
    })


def _add_members(state: _Desk, people, limit: int, errors: list[str]) -> None:
    chosen = {p.pk for p in state.members}
    for person in people:
        if person.pk in chosen:
            errors.append(_("%(name)s is already in this tube.") % {"name": person.full_name})
        elif len(state.members) >= limit:
            errors.append(ngettext("This tube holds at most %(n)d person.", "This tube holds at most %(n)d people.",
                                   limit) % {"n": limit})
            break
        else:
            state.members.append(person)
            chosen.add(person.pk)


# ---- samples and labels ------------------------------------------------------------------------------

@staff_view(Perm.LABS_VIEW)
def sample_find(request):
    """A tube by its scanned or typed code (one the user may see), else back home with a message."""
    code = request.GET.get("code", "")
    try:
        sample = selectors.sample_get(user=request.user, code=code)
    except NotFound:
        messages.error(request, _("No tube %(code)s that you may see.") % {"code": services.code_normalize(code)[:40]})
        return redirect("labs:home")
    return redirect("labs:sample_detail", sample_id=sample.pk)


@staff_view(Perm.LABS_VIEW)
def sample_detail(request, sample_id):
    sample = selectors.sample_get(user=request.user, sample_id=sample_id, audit=True)
    return _sample_page(request, sample)


def _sample_page(request, sample, reject_form=None):
    swabs = selectors.sample_swabs(user=request.user, sample=sample)
    can_reject = (request.user.has_perm_code(Perm.LABS_RESULT) and sample.status in services.REJECTABLE)
    return render(request, "labs/sample_detail.html", {
        "sample": sample, "swabs": swabs.visible, "hidden": swabs.hidden,
        "members": len(swabs.visible) + swabs.hidden, "history": selectors.sample_history(sample),
        "can_reject": can_reject, "reject_form": reject_form or RejectForm(), "reject_reasons": REJECT_REASONS,
        "age_hours": selectors.age_hours(sample),
        "can_result": request.user.has_perm_code(Perm.LABS_RESULT) and sample.status != SampleStatus.REJECTED,
    })


@require_POST
@staff_view(Perm.LABS_RESULT)
def sample_reject(request, sample_id):
    sample = selectors.sample_get(user=request.user, sample_id=sample_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.sample_reject(sample=sample, reason=form.cleaned_data["reason"], by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Sample %(code)s rejected: its people must be swabbed again.")
                             % {"code": sample.code})
            return redirect("labs:sample_detail", sample_id=sample.pk)
    return _sample_page(request, sample, reject_form=form)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_view(Perm.LABS_VIEW)
def sample_label(request, sample_id):
    sample = selectors.sample_get(user=request.user, sample_id=sample_id)
    return _pdf(labels_pdf([label_of(sample)], sheet=request.GET.get("sheet") == "1", title=sample.code),
                f"{sample.code}.pdf")


@staff_view(Perm.LABS_VIEW)
def labels_sheet(request):
    """A sheet of labels: the samples given (?sample=…, repeated), or a campaign's samples filtered by
    site, round, status and day of collection."""
    ids = request.GET.getlist("sample")
    if ids:
        samples = selectors.samples_by_ids(user=request.user, ids=ids[:MAX_LABELS])
    else:
        campaign = selectors.campaign_get(user=request.user, campaign_id=request.GET.get("campaign"))
        site = None
        if request.GET.get("site"):
            site = selectors.site_get(user=request.user, site_id=request.GET["site"])
        status = request.GET.get("status", "")
        day = parse_date(request.GET.get("date", "") or "") if request.GET.get("date") else None
        samples = list(selectors.sample_list(
            user=request.user, campaign=campaign, site=site, round=_int_or_none(request.GET.get("round")),
            status=status if status in SampleStatus.values else "", collected_on=day)[:MAX_LABELS])
        samples.reverse()  # in the order they were collected
    if not samples:
        raise NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("No sample to print."))
    return _pdf(labels_pdf([label_of(s) for s in samples], sheet=True), "labels.pdf")


@require_POST
@staff_view(Perm.LABS_SAMPLE)
def blank_labels(request, campaign_id):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    sites = selectors.campaign_sites(campaign=campaign)
    form = BlankLabelsForm(request.POST, sites=sites)
    if form.is_valid():
        site = next((s for s in sites if str(s.pk) == form.cleaned_data["site"]), None)
        try:
            codes = registering.codes_reserve(campaign=campaign, site=site, count=form.cleaned_data["count"],
                                              by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            labels = [Label(code=c, campaign=campaign.name, site=site.name if site else "", round=None) for c in codes]
            return _pdf(labels_pdf(labels, sheet=True), f"blank-{codes[0]}.pdf")
    return _campaign_page(request, campaign, blank_form=form)


# ---- the laboratory ----------------------------------------------------------------------------------

@staff_view(Perm.LABS_RESULT)
def receive(request):
    form = ReceiveForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        try:
            results = services.samples_receive(codes=form.cleaned_data["codes"], by=request.user,
                                               received_at=form.cleaned_data["received_at"])
        except (NotFound, PermissionDenied) as exc:
            if exc.field != "codes":
                raise
            apply_errors(form, exc)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            received = sum(1 for r in results if r.error is None)
            if received:
                messages.success(request, ngettext("%(n)d sample received.", "%(n)d samples received.", received)
                                 % {"n": received})
            if received == len(results):
                return redirect("labs:receive")
            form = ReceiveForm(initial={"codes": "\n".join(r.code for r in results if r.error)})
    return render(request, "labs/receive.html", {"form": form, "results": results,
                                                 "lab": selectors.user_laboratory(request.user)})


@staff_view(Perm.LABS_VIEW)
def queue(request):
    status = request.GET.get("status", "")
    queryset = selectors.lab_queue(user=request.user, status=status)
    page = page_of(queryset, page=request.GET.get("page"), size=100)
    now = timezone.now()
    for sample in page.items:
        sample.age = selectors.age_hours(sample, now)
    return render(request, "labs/queue.html", {
        "page": page, "query_string": _query_string(request), "status": status,
        "statuses": [(s, SampleStatus(s).label) for s in selectors.QUEUE_STATUSES],
        "counts": selectors.lab_queue_counts(user=request.user), "lab": selectors.user_laboratory(request.user),
        "can_receive": request.user.has_perm_code(Perm.LABS_RESULT), "now": now,
    })
