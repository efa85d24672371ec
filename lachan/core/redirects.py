"""The one place a `next` parameter is read: only a path of this site is followed, anything else (another host,
`//host`, `javascript:`, a backslash trick) falls back to the given page."""

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, fallback: str, *, value: str | None = None) -> str:
    """`value`, or else the request's `next` (POST, then GET), if it is a URL of this site; else `fallback`
    (a URL name or a path)."""
    target = value if value is not None else (request.POST.get("next") or request.GET.get("next") or "")
    target = str(target).strip()
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return resolve_url(fallback)
