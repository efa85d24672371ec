from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lachan.core.errors import DomainError, NotFound

from . import selectors, services
from .forms import OutboxFilterForm

PAGE_SIZE = 50


def _require_view(request) -> None:
    if not selectors.can_view(request.user):
        raise PermissionDenied


@login_required
def outbox(request):
    _require_view(request)
    form = OutboxFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    filters = {k: v for k, v in form.cleaned_data.items() if v} if request.GET and valid else {}
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    rows, has_next = selectors.page_of(selectors.messages_list(**filters), page=page, size=PAGE_SIZE) if valid else ([], False)
    selectors.outbox_audited(user=request.user, rows=rows, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/outbox.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "query": query.urlencode(),
        "nav_current": "notifications",
    })


@login_required
def message_detail(request, message_id):
    _require_view(request)
    try:
        message = selectors.message_get(message_id=message_id)
    except NotFound:
        raise Http404 from None
    selectors.message_audited(user=request.user, message=message)
    return render(request, "notifications/message.html", {"message": message, "nav_current": "notifications"})


@login_required
@require_POST
def message_retry(request, message_id):
    _require_view(request)
    try:
        message = selectors.message_get(message_id=message_id)
    except NotFound:
        raise Http404 from None
    try:
        services.message_retry(message=message, by=request.user)
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, _("The message was queued again."))
    return redirect("notifications:message", message_id=message.id)
