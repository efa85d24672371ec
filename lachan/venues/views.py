"""Pages: the venue registry for owners and staff, and the citizen's check-in page behind the QR."""

from __future__ import annotations

from datetime import date, datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from lachan.core.decorators import NOT_FOUND, staff_view
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.exports import csv_response
from lachan.core.middleware import client_ip
from lachan.core.pagination import page_of
from lachan.core.ratelimit import GLOBAL, Rate, RateLimited, address_key, rate_check, rate_named
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.models import Person

from . import logbooks, poster, selectors, services
from .errors import VenueErrorCode
from .forms import FirstCheckInForm, LogbookForm, SizeConfirmForm, VenueForm
from .models import CheckIn, CheckInSource, LogbookStatus, VenueKind, VenueSize
from .policy import venue_size_rules_on
from .qr import qr_path, qr_verify

PERSON_COOKIE = "lc_person"
PERSON_COOKIE_SALT = "lachan.venue-person"
PERSON_COOKIE_AGE = 365 * 24 * 3600
# The QR form needs no log-in. Generous per address: a café's Wi-Fi or a mobile operator's NAT puts many phones
# behind one address. The province-wide limit on new people stops a flood from many addresses.
FORM_PER_ADDRESS = Rate(120, 10 * 60)  # any post of the form
NEW_PEOPLE_PER_ADDRESS = Rate(20, 10 * 60)
NEW_PEOPLE_ALL = Rate(5000, 10 * 60)


def _communes():
    units = AdminUnit.objects.filter(level=AdminLevel.COMMUNE, tree=settings.LACHAN_ADMIN_TREE,
                                     path__startswith=f"{settings.LACHAN_ADMIN_TREE}/{settings.LACHAN_PROVINCE_CODE}/")
    return units.select_related("parent").order_by("name", "path")


def _apply_errors(form, exc: DomainError) -> None:
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        form.add_error(err.field if err.field in form.fields else None, str(err.message))


@staff_view(citizens=NOT_FOUND)
def venue_list(request):
    query = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    check = request.GET.get("check", "") == "size"
    venues = (selectors.venues_size_to_check(user=request.user) if check
              else selectors.venue_list(user=request.user, query=query, kind=kind))
    page = page_of(venues, page=request.GET.get("page"), size=50)
    sizes = venue_size_rules_on()
    for venue in page.items:
        venue.traced_size = VenueSize(sizes.of(venue)).label
        venue.crowded = sizes.crowded(venue)
    return render(request, "venues/list.html", {
        "page": page, "q": query, "kind": kind, "kinds": VenueKind.choices, "check": check,
        "can_register": request.user.role in services._REGISTRARS,
        "can_confirm": request.user.role in services.SIZE_CONFIRMERS,
        "logbooks_waiting": (logbooks.logbooks_to_review(user=request.user).count()
                             if logbooks.may_review(request.user) else None),
    })


@staff_view(citizens=NOT_FOUND)
def venue_create(request):
    if request.user.role not in services._REGISTRARS:
        raise DjangoPermissionDenied
    form = VenueForm(request.POST or None, communes=_communes())
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.venue_register(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Venue registered. Print its QR poster and put it at the entrance."))
            return redirect("venues:detail", venue_id=venue.pk)
    return render(request, "venues/form.html", {"form": form})


@staff_view(citizens=NOT_FOUND)
def venue_detail(request, venue_id):
    venue = selectors.venue_get(user=request.user, venue_id=venue_id)
    form = LogbookForm()
    result = None
    if request.method == "POST":
        form = LogbookForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = logbooks.logbook_import(venue=venue, data=upload.read(), filename=upload.name, by=request.user)
            except DomainError as exc:
                form.add_error("file", str(exc.message))
            else:
                if result.ok and result.held:
                    messages.warning(request, _(
                        "This logbook has more check-ins than the venue can hold (%(why)s). Nothing was imported: "
                        "the commune health station will review it.") % {"why": logbook_reasons_text(result.reasons)})
                    return redirect("venues:detail", venue_id=venue.pk)
                if result.ok:
                    messages.success(request, _("%(n)d check-ins imported.") % {"n": result.created})
                    if result.people_held:
                        messages.info(request, ngettext(
                            "%(n)d person is not registered yet: the commune health station will review them "
                            "before their check-ins count.",
                            "%(n)d people are not registered yet: the commune health station will review them "
                            "before their check-ins count.", result.people_held) % {"n": result.people_held})
                    if result.duplicates:
                        messages.info(request, ngettext(
                            "%(n)d row repeats a check-in already recorded; it was skipped.",
                            "%(n)d rows repeat a check-in already recorded; they were skipped.",
                            result.duplicates) % {"n": result.duplicates})
                    return redirect("venues:detail", venue_id=venue.pk)
                request.session[f"logbook-errors-{venue.pk}"] = result.errors_csv()[:2_000_000]
    since = timezone.now() - timezone.timedelta(days=1)
    sizes = venue_size_rules_on()
    can_confirm = request.user.role in services.SIZE_CONFIRMERS
    return render(request, "venues/detail.html", {
        "venue": venue, "qr_url": request.build_absolute_uri(qr_path(venue)), "form": form, "result": result,
        "count_day": selectors.venue_checkin_count(venue=venue, since=since),
        "error_rows": result.errors[:500] if result else [],
        "traced_size": VenueSize(sizes.of(venue)).label,
        "derived_size": VenueSize(sizes.derived(kind=venue.kind, declared=venue.size, capacity=venue.capacity,
                                                area_m2=venue.area_m2)).label,
        "crowded": sizes.crowded(venue), "small_room_holds": sizes.large_min_capacity - 1,
        "size_form": SizeConfirmForm(initial={"size": sizes.of(venue)}) if can_confirm else None,
    })


def logbook_reasons_text(reasons: list[dict]) -> str:
    """Why a logbook was held, in words: the worst day and the peak."""
    parts = []
    days = [r for r in reasons if r.get("code") == "checkins_per_day"]
    if days:
        worst = max(days, key=lambda r: r["count"])
        parts.append(ngettext("%(count)s check-ins on %(day)s where at most %(limit)s are expected (%(n)d day over)",
                              "%(count)s check-ins on %(day)s where at most %(limit)s are expected (%(n)d days over)",
                              len(days)) % {
            "count": number_format(worst["count"], force_grouping=True), "limit": number_format(worst["limit"], force_grouping=True),
            "day": date_format(date.fromisoformat(worst["day"]), "SHORT_DATE_FORMAT"), "n": len(days)})
    for r in reasons:
        if r.get("code") == "present_at_once":
            parts.append(_("%(count)s people present at once for a capacity of %(capacity)s") % {
                "count": number_format(r["count"], force_grouping=True),
                "capacity": number_format(r["limit"] // logbooks.PRESENCE_SLACK, force_grouping=True)})
    return "; ".join(parts)


def _review_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not logbooks.may_review(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return staff_view(citizens=NOT_FOUND)(wrapper)


@_review_view
def logbooks_review(request):
    """The station's list: logbooks held, or with people waiting, of venues in its jurisdiction."""
    page = page_of(logbooks.logbooks_to_review(user=request.user), page=request.GET.get("page"), size=50)
    return render(request, "venues/logbooks.html", {
        "page": page, "reasons": {lb.pk: logbook_reasons_text(lb.reasons) for lb in page.items}})


@_review_view
def logbook_review_page(request, logbook_id):
    lb = logbooks.logbook_get(user=request.user, logbook_id=logbook_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "accept_file":
                logbooks.logbook_accept(logbook_id=lb.pk, by=request.user)
                messages.success(request, _("Logbook accepted: the check-ins of registered people were written."))
            elif action == "reject_file":
                logbooks.logbook_reject(logbook_id=lb.pk, by=request.user)
                messages.success(request, _("Logbook rejected: nothing more of it will be written."))
            elif action in ("accept", "match", "reject"):
                visitor_id = int(request.POST.get("visitor", "0") or 0)
                if action == "accept":
                    person = logbooks.visitor_accept(visitor_id=visitor_id, by=request.user)
                    messages.success(request, _("%(name)s was added to the register.") % {"name": person.full_name})
                elif action == "match":
                    person = logbooks.visitor_match(visitor_id=visitor_id, by=request.user,
                                                          person_id=request.POST.get("person", ""))
                    messages.success(request, _("The visits are now %(name)s's.") % {"name": person.full_name})
                else:
                    logbooks.visitor_reject(visitor_id=visitor_id, by=request.user)
                    messages.success(request, _("Rejected: these visits were dropped."))
        except (NotFound, ValueError):
            messages.error(request, _("This person is no longer waiting for review."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("venues:logbook_review", logbook_id=lb.pk)
    lb.refresh_from_db()
    waiting = logbooks.visitors_waiting(user=request.user, logbook=lb)
    page = page_of(waiting, page=request.GET.get("page"), size=25)
    candidates = logbooks.match_candidates(user=request.user, visitors=list(page.items))
    return render(request, "venues/logbook_review.html", {
        "logbook": lb, "venue": lb.venue, "page": page, "reasons": logbook_reasons_text(lb.reasons),
        "rows": [(v, candidates.get(v.pk, []), [datetime.fromisoformat(x[0]) for x in v.visits[:3]])
                 for v in page.items],
        "held": lb.status == LogbookStatus.HELD, "waiting": waiting.count(),
    })


@staff_view(citizens=NOT_FOUND)
@require_http_methods(["POST"])
def venue_size_confirm(request, venue_id):
    venue = selectors.venue_get(user=request.user, venue_id=venue_id)
    form = SizeConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose small enclosed room or large space."))
    else:
        services.venue_size_confirm(venue=venue, size=form.cleaned_data["size"], note=form.cleaned_data["note"],
                                    by=request.user)
        messages.success(request, _("Size confirmed: tracing uses it from now on."))
    return redirect("venues:detail", venue_id=venue.pk)


@staff_view(citizens=NOT_FOUND)
def logbook_errors_csv(request, venue_id):
    venue = selectors.venue_get(user=request.user, venue_id=venue_id)
    text = request.session.get(f"logbook-errors-{venue.pk}")
    if text is None:
        raise Http404
    return csv_response("logbook-errors.csv", text)


@staff_view(citizens=NOT_FOUND)
def venue_poster_png(request, venue_id):
    venue = selectors.venue_get(user=request.user, venue_id=venue_id)
    return HttpResponse(poster.poster_png(venue, request.build_absolute_uri(qr_path(venue))), content_type="image/png")


@staff_view(citizens=NOT_FOUND)
def venue_poster_pdf(request, venue_id):
    venue = selectors.venue_get(user=request.user, venue_id=venue_id)
    response = HttpResponse(poster.poster_pdf(venue, request.build_absolute_uri(qr_path(venue))),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="qr-{venue.code}.pdf"'
    return response


# ---- the citizen's page -------------------------------------------------------------------------

def _known_person(request) -> Person | None:
    """The person this phone checked in as before (signed cookie), or the logged-in citizen."""
    user = request.user
    if user.is_authenticated and getattr(user, "is_citizen", False):
        person = Person.objects.active().filter(account=user).first()
        if person is not None:
            return person
    raw = request.get_signed_cookie(PERSON_COOKIE, default=None, salt=PERSON_COOKIE_SALT, max_age=PERSON_COOKIE_AGE)
    if not raw:
        return None
    person = Person.objects.filter(pk=raw).first() if len(raw) == 36 else None
    if person is not None and person.merged_into_id:
        person = Person.objects.filter(pk=person.merged_into_id).first()
    return person


def _remember(response, person: Person) -> None:
    response.set_signed_cookie(PERSON_COOKIE, str(person.pk), salt=PERSON_COOKIE_SALT, max_age=PERSON_COOKIE_AGE,
                               httponly=True, samesite="Lax", secure=not settings.DEBUG and settings.SESSION_COOKIE_SECURE)


def _open_checkin(person: Person | None, venue) -> CheckIn | None:
    if person is None:
        return None
    return (CheckIn.objects.filter(person=person, venue=venue, checkout_assumed=True, checked_out_at__gt=timezone.now())
            .order_by("-checked_in_at").first())


@require_http_methods(["GET", "POST"])
def checkin_page(request, token):
    try:
        venue = qr_verify(token)
    except DomainError as exc:
        return render(request, "venues/checkin_error.html", {"error": exc}, status=exc.status)
    person = _known_person(request)
    form = FirstCheckInForm(communes=_communes())
    action = request.POST.get("action") if request.method == "POST" else None
    remember = None
    if action in ("register", "checkin", "checkout"):
        address = address_key(client_ip(request))
        limits = [("venues.checkin_form.address", address, rate_named("venues.checkin_form.address", FORM_PER_ADDRESS))]
        if action == "register":
            limits += [("venues.checkin_new.address", address, rate_named("venues.checkin_new.address",
                                                                          NEW_PEOPLE_PER_ADDRESS)),
                       ("venues.checkin_new.all", GLOBAL, rate_named("venues.checkin_new.all", NEW_PEOPLE_ALL))]
        try:
            rate_check(*limits, code=VenueErrorCode.RATE_LIMITED)
        except RateLimited as exc:
            if action == "register":  # the form again as it was typed
                person, form = None, FirstCheckInForm(initial=request.POST.dict(), communes=_communes())
            response = render(request, "venues/checkin.html", {
                "venue": venue, "person": person, "form": form,
                "open": _open_checkin(person, venue), "limited": exc.message}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
    if action == "forget":
        response = redirect("checkin:page", token=token)
        response.delete_cookie(PERSON_COOKIE)
        return response
    if action == "register":
        form = FirstCheckInForm(request.POST, communes=_communes())
        if form.is_valid():
            try:
                person = services.person_for_checkin(**form.cleaned_data)
            except DomainError as exc:
                _apply_errors(form, exc)
                person = None
            else:
                remember = person
                action = "checkin"
        else:
            person = None
    status = None
    if action == "checkin" and person is not None:
        try:
            checkin, _created = services.checkin_create(venue=venue, person=person, source=CheckInSource.QR,
                                                        client_key=request.POST.get("client_key", "")[:64])
            status = "isolate" if checkin.must_isolate else "in"
        except DomainError as exc:
            messages.error(request, str(exc.message))
    elif action == "checkout" and person is not None:
        current = _open_checkin(person, venue)
        if current is not None:
            try:
                services.checkin_checkout(checkin=current)
                status = "out"
            except DomainError as exc:
                messages.error(request, str(exc.message))
    if status:
        response = redirect(f"{request.path}?done={status}")
        if remember is not None:
            _remember(response, remember)
        return response
    context = {
        "venue": venue, "person": person, "form": form, "open": _open_checkin(person, venue),
        "done": request.GET.get("done"), "last": None, "isolate_advice": services.ISOLATE_ADVICE,
    }
    if context["done"] == "out" and person is not None:
        context["last"] = CheckIn.objects.filter(person=person, venue=venue).order_by("-checked_in_at").first()
    return render(request, "venues/checkin.html", context)


