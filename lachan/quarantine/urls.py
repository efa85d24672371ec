"""Pages of the quarantine module: orders and facilities (orders.urls), monitoring and alerts (monitoring.urls)."""

from .monitoring.urls import urlpatterns as monitoring_urlpatterns
from .orders.urls import urlpatterns as orders_urlpatterns

app_name = "quarantine"
urlpatterns = [*orders_urlpatterns, *monitoring_urlpatterns]
