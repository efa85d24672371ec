import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")

from lachan.venues.checkin_fast_path import CheckInFastPath  # noqa: E402  (after the settings module is set)


def warm_up() -> None:
    """Build what Django otherwise builds in a worker's first request: the URLconf (importing every API router and
    building its schemas: 1–2 s of CPU) and the Vietnamese catalogue. Without it the first log-in after a start or
    a deploy waited for it (issue 12: log-in to the first dashboard 1–2.7 s)."""
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().reverse_dict  # noqa: B018  (imports the URLconf and fills the resolver's caches)
    with translation.override("vi"):
        translation.gettext("Log in")


# The check-in endpoints answer bearer-token calls before the middleware stack (see that module).
application = CheckInFastPath(get_wsgi_application())
warm_up()
