"""The operations centre's epidemic curve as plain server-rendered SVG, as the cluster page draws its own
(lachan.cases.chart): stacked bars per day of confirmation — community cases below, cases detected in quarantine
above — and the 7-day average as a line. No script, no chart library; it scales to its box (viewBox), and its
colours come from the page's stylesheet (classes), so the big-screen theme recolours it."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from lachan.core.numbers import number_text

WIDTH, HEIGHT = 760, 250
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 24
MAX_X_LABELS = 8


def nice_ceiling(value: float) -> float:
    """The axis's top: 1, 2, 2.5 or 5 times a power of ten, at least the value (and at least 4 for whole cases)."""
    if value <= 4:
        return 4
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def stacked_curve_svg(curve: dict | None, *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """`curve`: the dashboard's curve (lachan.situation.dashboard.cases_and_curve): every day with its
    community and in-quarantine counts and the 7-day average. `width` × `height`: the drawing's proportions (the
    big screen's box is wider than the page's)."""
    days = (curve or {}).get("days") or []
    if not days:
        return ""
    top = nice_ceiling(max(max(d["total"] for d in days), max(d["average"] for d in days)))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    base = TOP + plot_h
    step = plot_w / len(days)
    gap = 1.5 if step > 5 else (1 if step > 3 else 0)
    parts = [f'<line x1="{LEFT}" y1="{base}" x2="{width - RIGHT}" y2="{base}" class="axis"/>']
    for frac in (0.5, 1):
        y = base - plot_h * frac
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" class="grid"/>')
    for frac in (0, 0.5, 1):
        y = base - plot_h * frac
        parts.append(f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{number_text(top * frac)}</text>')
    every = max(1, -(-len(days) // MAX_X_LABELS))
    points = []
    for i, d in enumerate(days):
        x = LEFT + i * step
        label = escape(_("%(date)s: %(total)d cases (%(community)d community, %(in_quarantine)d in quarantine); "
                         "7-day average %(average).1f") % {
            "date": d["day"].strftime("%d/%m/%Y"), "total": d["total"], "community": d["community"],
            "in_quarantine": d["in_quarantine"], "average": d["average"]})
        bar_w = max(step - gap, 1)
        y = base
        bars = []
        for name in ("community", "in_quarantine"):
            if d[name]:
                h = plot_h * d[name] / top
                y -= h
                bars.append(f'<rect x="{x + gap / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                            f'class="bar-{name.replace("_", "-")}"/>')
        if bars:
            parts.append(f'<g data-day="{d["day"].isoformat()}"><title>{label}</title>{"".join(bars)}</g>')
        points.append(f"{x + step / 2:.1f},{base - plot_h * d['average'] / top:.1f}")
        if (len(days) - 1 - i) % every == 0:  # the last day always labelled
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                         f'{d["day"].strftime("%d/%m")}</text>')
    parts.append(f'<polyline points="{" ".join(points)}" class="average"/>')
    title = escape(_("Confirmed cases per day, last %(days)d days") % {"days": len(days)})
    return mark_safe(  # noqa: S308 (every text above is a number, a date or escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="dash-curve-svg" role="img" '
        f'aria-label="{title}">'
        f'{"".join(parts)}</svg>')
