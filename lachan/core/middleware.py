import ipaddress
import json
import re
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from . import request_context
from .jsontext import JsonError, json_read
from .text import has_control, text_clean


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


class InputCharactersMiddleware:
    """The shared cleaning step of everything a request carries as text.

    - NUL: PostgreSQL cannot store or compare text holding one (SQLite can): refused here with a clear 400 instead
      of a database error later. No legitimate input contains one.
    - Other control characters (core.text.text_clean): removed from query parameters, form fields (also of
      multipart forms; files are untouched) and JSON bodies, so none is ever stored (one in a name used to fail
      every Excel export holding it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            has_nul = self._has_nul(request)
        except RequestDataTooBig as exc:  # read here first: answered as Django would, in the API's shape
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "bad_request", "message": str(exc)}, status=400)
            raise
        if has_nul:
            message = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "message": message}, status=400)
            return HttpResponseBadRequest(message)
        self._clean(request)
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

    @staticmethod
    def _clean(request) -> None:
        if _dirty(request.GET):
            request.GET = _cleaned(request.GET)
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                post = request.POST
            except MultiPartParserError:
                return  # the view gets empty POST and FILES (Django's rule), as a form with no fields
            if _dirty(post):
                request.POST = _cleaned(post)
        elif content_type.startswith("application/json") and _JSON_CONTROL.search(request.body):
            try:
                data = json_read(request.body)
            except JsonError:
                return  # the API answers it as invalid JSON
            request._body = json.dumps(_json_cleaned(data), ensure_ascii=False).encode()


# A control character, raw or escaped (\u0001…\u001f but \t \n \r, \u007f…\u009f), in a JSON body.
_JSON_CONTROL = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]"
                           rb"|\\u00(?:0[1-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")


def _dirty(query: QueryDict) -> bool:
    return any(has_control(v) for _k, values in query.lists() for v in values if isinstance(v, str))


def _cleaned(query: QueryDict) -> QueryDict:
    copy = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        copy.setlist(text_clean(key), [text_clean(v) if isinstance(v, str) else v for v in values])
    copy._mutable = False
    return copy


def _json_cleaned(value):
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, list):
        return [_json_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {text_clean(k): _json_cleaned(v) for k, v in value.items()}
    return value


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
