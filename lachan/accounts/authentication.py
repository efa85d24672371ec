"""API authentication: a bearer token (apps, devices, scripts) or the browser session (with CSRF)."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        try:
            api_token = ApiToken.objects.select_related("user").get(key_hash=ApiToken.hash(token))
        except ApiToken.DoesNotExist:
            return None
        if not api_token.is_valid or not api_token.user.is_active:
            return None
        now = timezone.now()
        # Touch at most once a minute: a busy scanner device must not write on every call.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


class SessionUserAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if not user or not user.is_active:
            return None
        # A session that has not passed the two-factor step is not logged in for the API either.
        from .middleware import user_needs_otp

        return None if user_needs_otp(user) else user


api_auth = [TokenAuth(), SessionUserAuth()]
