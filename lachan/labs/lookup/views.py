"""Public result pages under /ket-qua/ (no log-in): the look-up by tube code and date of birth, the slip's
download right after it, and the verification page behind the slip's QR code. Also a logged-in citizen's own
results, and the slip of one person printed by staff from the sample page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.middleware import client_ip

from ..models import SwabOutcome
from . import services as lookup
from . import slip

NO_STORE = "no-store, private"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    return response


def slip_download_url(swab_id) -> str:
    return reverse("results:slip", args=[slip.download_token(swab_id)])


@require_http_methods(["GET", "POST"])
def lookup_page(request):
    """The phone page the result SMS points to."""
    data = request.POST if request.method == "POST" else request.GET
    values = {k: str(data.get(k, ""))[:40].replace("\x00", "") for k in ("code", "birth_date", "last4")}
    context = {"values": values, "errors": {}, "message": "", "found": None, "need_last4": False}
    status = 200
    if request.method == "POST":
        try:
            found = lookup.result_lookup(code=values["code"], birth_date=values["birth_date"], last4=values["last4"],
                                         ip=client_ip(request))
        except lookup.LookupRateLimited as exc:
            context["message"], status = str(exc.message), 429
        except lookup.LookupMoreNeeded as exc:
            context["need_last4"], context["message"] = True, str(exc.message)
        except ValidationFailed as exc:
            context["errors"] = {e.field: str(e.message) for e in exc.errors}
            context["need_last4"] = bool(values["last4"])
        except DomainError as exc:  # LookupFailed: one message for every kind of mismatch
            context["message"] = str(exc.message)
            context["need_last4"] = bool(values["last4"])
        else:
            context["found"] = [(item, slip_download_url(item.swab_id) if item.status == "released"
                                 and item.outcome in slip.SLIP_OUTCOMES else "") for item in found]
    return _no_store(render(request, "labs/lookup.html", context, status=status))


def _audit_public(action: str, item) -> None:
    with lookup._public_channel():
        audit_record(actor=None, action=action, object_type="swab", object_id=item.swab_id, person_id=item.person_id,
                     detail={"code": item.code})


def _slip_response(request, item: slip.Slip) -> HttpResponse:
    url = request.build_absolute_uri(reverse("results:verify", args=[item.token]))
    response = HttpResponse(slip.slip_pdf(item, url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ket-qua-{item.code}.pdf"'
    return _no_store(response)


def slip_download(request, token):
    """The slip, from the short-lived link of a look-up."""
    try:
        item = slip.slip_of(slip.download_swab_id(token))
    except DomainError as exc:
        return _no_store(render(request, "labs/slip_verify.html", {"error": exc.message}, status=404))
    _audit_public("labs.slip_download", item)
    return _slip_response(request, item)


def verify_page(request, token):
    """What a scanned slip's QR code opens: valid, superseded or not valid (never an error page)."""
    try:
        check = slip.slip_verify(token)
    except DomainError as exc:
        return _no_store(render(request, "labs/slip_verify.html", {"error": exc.message}, status=404))
    return _no_store(render(request, "labs/slip_verify.html", {"check": check, "outcomes": SwabOutcome}))


@login_required
def my_results(request):
    """A citizen's own results (their account linked to their person record)."""
    if not request.user.is_citizen:
        raise Http404
    rows = lookup.results_of_citizen(user=request.user)
    items = [(item, slip_download_url(item.swab_id) if item.status == "released" and item.outcome in slip.SLIP_OUTCOMES
              else "") for item in rows]
    return _no_store(render(request, "labs/my_results.html", {"items": items, "now": timezone.now()}))


@staff_view(Perm.LABS_VIEW)
def staff_slip(request, sample_id, swab_id):
    """One person's slip, printed by staff from the sample page (people they may see only)."""
    return _slip_response(request, slip.slip_for_staff(user=request.user, sample_id=sample_id, swab_id=swab_id))
