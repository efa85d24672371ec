"""The guard of every staff page: logged in, not a citizen, holding the permission; domain errors
become HTTP answers (NotFound → 404, so a record outside the jurisdiction is never revealed)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from lachan.core.errors import NotFound, PermissionDenied


def staff_view(perm: str, *, citizen_redirect: str | None = None):
    """`citizen_redirect`: a URL name to send citizens to (e.g. their own record) instead of a 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.is_citizen and citizen_redirect:
                return redirect(citizen_redirect)
            if request.user.is_citizen or not request.user.has_perm_code(perm):
                raise DjangoPermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise DjangoPermissionDenied from None

        return wrapper

    return decorate
