"""API authentication: a bearer token (apps, devices, scripts) or the browser session (with CSRF)."""

import copy

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from lachan.core.caching import TTLCache

from .models import ApiToken

# A busy scanner device calls many times a second: its token and user are read from the database at
# most every TOKEN_CACHE_SECONDS per web process. So a revocation or a deactivation made in another
# process takes effect within that time (at once in the process that made it: tokens_cache_clear()).
TOKEN_CACHE_SECONDS = 10
_tokens = TTLCache(TOKEN_CACHE_SECONDS)


def tokens_cache_clear() -> None:
    _tokens.clear()


def _token_load(key_hash: str) -> ApiToken | None:
    # The jurisdiction unit too: the check-in API decides its scope without a query.
    return ApiToken.objects.select_related("user", "user__jurisdiction_unit").filter(key_hash=key_hash).first()


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        key_hash = ApiToken.hash(token)
        api_token = _tokens.get(key_hash, lambda: _token_load(key_hash))
        if api_token is None or not api_token.is_valid or not api_token.user.is_active:
            return None
        now = timezone.now()
        # Touch at most once a minute: a busy scanner device must not write on every call.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            api_token.last_used_at = now
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        # Each request gets its own copy of the cached user: views may set attributes on it.
        request.user = user = copy.copy(api_token.user)
        return user


class SessionUserAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if not user or not user.is_active:
            return None
        # A session that has not passed the two-factor step is not logged in for the API either.
        from .middleware import user_needs_otp

        return None if user_needs_otp(user) else user


api_auth = [TokenAuth(), SessionUserAuth()]
