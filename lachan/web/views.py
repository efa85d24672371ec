from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from lachan.accounts.roles import Perm
from lachan.situation import dashboard
from lachan.situation.feed import feed_item_dict, operations_feed
from lachan.situation.views import map_config

from .charts import stacked_curve_svg
from .navigation import capability

TV_CURVE = {"width": 1100, "height": 230}  # the big screen's curve box is wider than the page's
POLL_SECONDS = 30  # settings.LACHAN_DASHBOARD_POLL_SECONDS may change it (the browser tests do)
FEED_SHOWN = 30
MAP_REFRESH_SECONDS = 60  # the map's layers are heavier than the indicators: refreshed half as often


def _dashboard(request, *, tv: bool):
    """The operations-centre dashboard of the user's jurisdiction (lachan.situation.dashboard, .feed); an account with
    nothing to watch there (an enterprise, a venue, a checkpoint) gets its capabilities as cards instead."""
    user = request.user
    summary = dashboard.operations_summary(user=user)
    blocks = ("cases", "quarantine", "alerts", "tests", "vaccination", "risk")
    if not any(summary[name] is not None for name in blocks):
        if tv:
            return redirect("web:home")
        return render(request, "web/home.html", {})
    feed = [feed_item_dict(item) for item in operations_feed(user=user, limit=FEED_SHOWN)]
    return render(request, "web/dashboard_tv.html" if tv else "web/dashboard.html", {
        "s": summary, "feed": feed, "curve_svg": stacked_curve_svg(summary["curve"], **(TV_CURVE if tv else {})), "tv": tv,
        "poll_seconds": getattr(settings, "LACHAN_DASHBOARD_POLL_SECONDS", POLL_SECONDS), "feed_shown": FEED_SHOWN, "time_zone": settings.TIME_ZONE,
        "can_alerts": user.has_perm_code(Perm.QUARANTINE_VIEW), "can_labs": user.has_perm_code(Perm.LABS_VIEW),
        "can_cases": user.has_perm_code(Perm.CASES_VIEW), "can_risk": user.has_perm_code(Perm.RISK_VIEW),
        "map_config": map_config(request, compact=True, refresh_seconds=MAP_REFRESH_SECONDS)
        if user.has_perm_code(Perm.RISK_VIEW) else None,
    })


@login_required
@never_cache
def home(request):
    if request.user.is_citizen:
        return redirect("people:mine")
    return _dashboard(request, tv=request.GET.get("tv") == "1")


@login_required
@never_cache
def ioc(request):
    """The big-screen mode of the dashboard (also /?tv=1)."""
    if request.user.is_citizen:
        return redirect("people:mine")
    return _dashboard(request, tv=True)


@login_required
@never_cache
def dashboard_curve(request):
    """The curve alone (SVG markup), fetched by the page when the day's counts change."""
    if request.user.is_citizen:
        raise Http404
    curve = dashboard.cases_and_curve(dashboard.ops_scope(request.user))[1]
    if curve is None:
        raise Http404
    size = TV_CURVE if request.GET.get("tv") == "1" else {}
    return HttpResponse(stacked_curve_svg(curve, **size), content_type="text/html; charset=utf-8")


@login_required
def capability_page(request, slug: str):
    item = capability(slug)
    if item is None or request.user.is_citizen:
        raise Http404
    if item.url:
        return redirect(item.url)
    return render(request, "web/capability.html", {"item": item})
