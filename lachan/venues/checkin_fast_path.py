"""POST /api/venues/checkins and /api/venues/checkins/batch with a bearer token, answered in front of
Django's middleware, URL resolver and django-ninja: at a thousand check-ins a second those cost more CPU
than the check-in itself (ADR 0002, docs/benchmarks.md). It uses the same token check, payload schemas,
services and error shapes as the django-ninja endpoints in lachan.venues.api, and the tests post every kind
of request to both and compare the answers.

Anything unusual goes to Django unchanged, which answers it as usual: another path or method, no bearer
token (a browser session), a token that is not valid, a payload that does not validate, a NUL character,
a host not allowed, plain HTTP where HTTPS is required (the redirect)."""

from __future__ import annotations

import json
import logging
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.utils import translation
from ninja.responses import NinjaJSONEncoder
from pydantic import ValidationError

from lachan.core import request_context
from lachan.core.errors import DomainError
from lachan.core.middleware import client_ip

logger = logging.getLogger("django.request")

CHECKIN_PATH = "/api/venues/checkins"
BATCH_PATH = "/api/venues/checkins/batch"
MAX_BODY = 2 * 1024 * 1024  # a batch of 500 is ~150 kB; larger ones go to Django, which refuses them
_REASONS = {200: "200 OK", 201: "201 Created", 400: "400 Bad Request", 403: "403 Forbidden", 404: "404 Not Found",
            409: "409 Conflict", 422: "422 Unprocessable Entity", 500: "500 Internal Server Error"}


def _security_headers() -> list[tuple[str, str]]:
    """What SecurityMiddleware, XFrameOptionsMiddleware and ContentSecurityPolicyMiddleware add to an API
    answer over HTTP."""
    headers = [("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY"))]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        headers.append(("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    if settings.LACHAN_CSP:
        headers.append(("Content-Security-Policy", settings.LACHAN_CSP))
    return headers


class CheckInFastPath:
    """WSGI middleware around the Django application."""

    def __init__(self, django_app):
        self.django_app = django_app
        self.headers = _security_headers()

    def __call__(self, environ: dict, start_response):
        path = environ.get("PATH_INFO", "")
        if (environ.get("REQUEST_METHOD") != "POST" or path not in (CHECKIN_PATH, BATCH_PATH)
                or not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")):
            return self.django_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self.django_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = BytesIO(body)  # Django reads it again if the request goes there
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answer = self._answer(environ, path, body)
        finally:
            signals.request_finished.send(sender=self.__class__)
        if answer is None:
            environ["wsgi.input"] = BytesIO(body)
            return self.django_app(environ, start_response)
        status, content, language, secure = answer
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(content))),
                   ("Vary", "Accept-Language"), ("Content-Language", language), *self.headers]
        if secure and settings.SECURE_HSTS_SECONDS:  # as SecurityMiddleware
            hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            hsts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
            headers.append(("Strict-Transport-Security", hsts + ("; preload" if settings.SECURE_HSTS_PRELOAD else "")))
        start_response(_REASONS.get(status, f"{status} Error"), headers)
        return [content]

    def _answer(self, environ: dict, path: str, body: bytes) -> tuple[int, bytes, str, bool] | None:
        """(status, JSON, language, over HTTPS) or None: let Django answer."""
        from lachan.accounts.authentication import TokenAuth

        from .api import CheckInBatchIn, CheckInIn, batch_answer, checkin_answer

        if b"\x00" in body or b"\\u0000" in body:
            return None
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None
        secure = request.is_secure()  # directly, or through the proxy's header (SECURE_PROXY_SSL_HEADER)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        user = TokenAuth().authenticate(request, environ["HTTP_AUTHORIZATION"][7:].strip())
        if user is None:
            return None
        try:
            payload = (CheckInBatchIn if path == BATCH_PATH else CheckInIn).model_validate_json(body)
        except ValidationError:
            return None
        language = translation.get_language_from_request(request)
        ctx = request_context.activate(request_context.RequestContext(
            ip=client_ip(request), user_agent=environ.get("HTTP_USER_AGENT", "")[:300], path=path[:300],
            channel="api"))
        try:
            with translation.override(language):
                try:
                    status, data = (batch_answer(user, payload) if path == BATCH_PATH
                                    else checkin_answer(user, payload))
                except DomainError as exc:
                    status, data = exc.status, exc.as_dict()
        except Exception:  # what Django would log for an unhandled error; the client gets a plain 500
            logger.exception("Internal Server Error: %s", path)
            status, data = 500, {"code": "server_error", "message": "Server error."}
        finally:
            request_context.deactivate(ctx)
        return status, _json(data), language, secure


def _json(data: Any) -> bytes:
    return json.dumps(data, cls=NinjaJSONEncoder).encode()
