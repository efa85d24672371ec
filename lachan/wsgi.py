import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")

from lachan.venues.checkin_fast_path import CheckInFastPath  # noqa: E402  (after the settings module is set)

# The check-in endpoints answer bearer-token calls before the middleware stack (see that module).
application = CheckInFastPath(get_wsgi_application())
