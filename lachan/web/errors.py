"""The platform's own error pages (400, 403, 404, 500, a refused CSRF check): what happened and where to go, in
the user's language, never Django's bare or debug pages. Under /api/ the answer is the API's error schema
({"code", "message"}) in JSON. No inline script or style (the Content-Security-Policy allows none).

Django renders its debug 404 (every URL pattern listed) whenever DEBUG is on, before any handler404:
DebugNotFoundMiddleware replaces it, so a demo run with DEBUG=1 and left reachable does not publish its map."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _texts(status: int, *, csrf: bool = False) -> tuple[str, str, str]:
    """(code, what happened, what to do)."""
    if csrf:
        return ("csrf_failed", _("This form has expired"),
                _("For your safety, a form is accepted only from the page that showed it, within your session. "
                  "Go back, reload the page and send it again. If it happens again, check that your browser "
                  "accepts cookies from this site."))
    if status == 400:
        return ("bad_request", _("The request could not be read"),
                _("The address or the data sent is not in a form the platform understands. Go back and try "
                  "again from the page's own links and buttons."))
    if status == 403:
        return ("forbidden", _("You may not open this page"),
                _("Your account's role or jurisdiction does not cover this page or this record. If you need it for "
                  "your work, ask your administrator to change your role or your unit."))
    if status == 404:
        return ("not_found", _("Page not found"),
                _("The address is mistyped, the page has moved, or the record is not in your jurisdiction. Start "
                  "again from the home page or the menu."))
    return ("server_error", _("Something went wrong on our side"),
            _("The error has been recorded for the technical team. Check whether what you sent was saved, then "
              "try again in a few minutes; if it persists, tell your administrator the time it happened."))


def error_response(request, status: int, *, csrf: bool = False) -> HttpResponse:
    code, title, advice = _texts(status, csrf=csrf)
    if request is not None and request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": title}, status=status)
    context = {"status": status, "code": code, "title": title, "advice": advice}
    try:
        # A server error may come from the database or a context processor: that page is drawn from nothing else.
        html = render_to_string("web/error.html", context, request=None if status >= 500 else request)
    except Exception:  # noqa: BLE001 - an error page must not fail in turn
        logger.exception("error page %s", status)
        html = f"<!doctype html><meta charset=utf-8><title>{status}</title><h1>{title}</h1><p>{advice}</p>"
    response = HttpResponse(html, status=status)
    response.is_error_page = True
    return response


def bad_request(request, exception=None):
    return error_response(request, 400)


def permission_denied(request, exception=None):
    return error_response(request, 403)


def page_not_found(request, exception=None):
    return error_response(request, 404)


def server_error(request):
    return error_response(request, 500)


def csrf_failure(request, reason: str = ""):
    return error_response(request, 403, csrf=True)


class DebugNotFoundMiddleware:
    """With DEBUG on, Django answers a 404 with its technical page (every URL pattern); ours is shown instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (settings.DEBUG and response.status_code == 404 and not getattr(response, "is_error_page", False)
                and not getattr(response, "streaming", False)
                and response.get("Content-Type", "").startswith("text/html")):
            return error_response(request, 404)
        return response
