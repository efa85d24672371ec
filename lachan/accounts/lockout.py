"""What a locked-out log-in gets (settings.AXES_LOCKOUT_CALLABLE): JSON on the API, a page elsewhere."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import AccountError


def lockout_response(request, original_response=None, credentials=None):
    message = _("Too many failed log-ins: this account is locked for 30 minutes.")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": str(AccountError.LOCKED_OUT), "message": message}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
