import ipaddress
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from . import request_context


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks if network.version == ip.version)


def client_ip(request) -> str:
    """The client's address, for rate limits, the log-in lock-out and the audit trail. REMOTE_ADDR, unless it is
    one of the reverse proxies of settings.LACHAN_TRUSTED_PROXIES (addresses or networks): then X-Forwarded-For is
    read from the right, past the trusted proxies, and the first other address is the client's. Without that
    setting the header is ignored: anyone can send one."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "LACHAN_TRUSTED_PROXIES", ()) or ()))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a forged or broken header: the proxy's address, which is at least true
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = request_context.RequestContext(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            path=request.path[:300],
            channel="api" if request.path.startswith("/api/") else "web",
        )
        token = request_context.activate(ctx)
        try:
            return self.get_response(request)
        finally:
            request_context.deactivate(token)


class RejectNulCharactersMiddleware:
    """PostgreSQL cannot store or compare text with NUL characters (SQLite can): a request carrying one
    gets a clear 400 here instead of a database error later. No legitimate input contains one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            message = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "message": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        if content_type.startswith("application/json"):
            return b"\x00" in request.body or b"\\u0000" in request.body
        if content_type.startswith("application/x-www-form-urlencoded"):
            return b"\x00" in unquote_to_bytes(request.body)
        return False  # multipart: Django's form fields refuse NUL characters themselves


class ContentSecurityPolicyMiddleware:
    """Every response carries the Content-Security-Policy of settings.LACHAN_CSP: scripts only from our own
    static files (no inline <script>, no on*= attributes), nothing loaded from elsewhere. A view that sets its
    own header keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.LACHAN_CSP

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
