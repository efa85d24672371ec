from django.contrib import admin
from django.urls import include, path

from lachan.api.root import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("lachan.accounts.urls")),
    path("people/", include("lachan.people.urls")),
    path("notifications/", include("lachan.notifications.urls")),
    path("units/", include("lachan.geo.urls")),
    path("", include("lachan.web.urls")),
]
