"""A logged-in user with a confirmed two-factor device must pass the code step before any page."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .roles import Role

# The code step itself, log-out, static files, language switch; the API checks in its own auth.
_EXEMPT_PREFIXES = ("/static/", "/i18n/", "/api/", "/favicon")


def user_needs_otp(user) -> bool:
    """True when the session's user has a confirmed device but this session has not been verified."""
    if user is None or not user.is_authenticated or getattr(user, "role", "") == Role.CITIZEN:
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


class OTPRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if not path.startswith(_EXEMPT_PREFIXES) and user_needs_otp(getattr(request, "user", None)):
            exempt = {reverse("accounts:login_code"), reverse("accounts:logout"), reverse("accounts:login")}
            if path not in exempt:
                return redirect(f"{reverse('accounts:login_code')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class DenialAuditMiddleware:
    """Records each 403 and 404 answered on a route of personal data to a logged-in user (audit.audit_denial)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404):
            from .audit import audit_denial

            audit_denial(request, response)
        return response
