"""The guard of every staff page: logged in, not a citizen, holding the permission; domain errors become HTTP
answers (NotFound → 404, so a record outside the jurisdiction is never revealed; PermissionDenied → 403).

In core because geo and notifications (below accounts) have staff pages too: it only reads the user's
`is_citizen` and `has_perm_code`."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from .errors import NotFound, PermissionDenied

FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"


def staff_view(perm: str | None = None, *, citizens: str = FORBIDDEN):
    """`perm`: the permission code the page needs (None: any staff member). `citizens`: what a citizen gets —
    "forbidden" (403), "not_found" (404: the page's existence is not revealed) or a URL name to be sent to
    (e.g. "people:mine", their own record)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.is_citizen:
                if citizens == NOT_FOUND:
                    raise Http404
                if citizens != FORBIDDEN:
                    return redirect(citizens)
                raise DjangoPermissionDenied
            if perm is not None and not user.has_perm_code(perm):
                raise DjangoPermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise DjangoPermissionDenied from None

        return wrapper

    return decorate
