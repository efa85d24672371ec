"""A cluster's epidemic curve as plain server-rendered SVG: one bar per day of confirmation.
No JavaScript, no CDN; it scales to the page width (viewBox)."""

from __future__ import annotations

from datetime import date

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Narrow enough that the labels stay legible when a phone scales it down.
WIDTH, HEIGHT = 420, 190
LEFT, RIGHT, TOP, BOTTOM = 30, 8, 10, 26
MAX_X_LABELS = 6


def epicurve_svg(days: list[tuple[date, int]]) -> str:
    """`days`: every day in order with its number of cases (zeros included)."""
    if not days:
        return ""
    peak = max(n for _day, n in days) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(days)
    gap = 1 if step > 3 else 0
    parts = [f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="axis"/>']
    for value in range(peak + 1) if peak <= 5 else (0, peak // 2, peak):
        y = TOP + plot_h - plot_h * value / peak
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    every = max(1, -(-len(days) // MAX_X_LABELS))  # ceiling division
    for i, (day, n) in enumerate(days):
        x = LEFT + i * step
        if n:
            h = plot_h * n / peak
            label = escape(ngettext("%(date)s: %(n)d case", "%(date)s: %(n)d cases", n) % {"date": day.strftime("%d/%m/%Y"), "n": n})
            parts.append(f'<rect x="{x + gap / 2:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(step - gap, 1):.1f}" '
                         f'height="{h:.1f}" class="bar"><title>{label}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                         f'{day.strftime("%d/%m")}</text>')
    style = ("<style>text{font:13px sans-serif;fill:#5b6b63}.bar{fill:#c0392b}.axis{stroke:#5b6b63}"
             ".grid{stroke:#d7e0dc;stroke-dasharray:3 3}</style>")
    return mark_safe(  # noqa: S308 (every text above is a number, a date or escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="epicurve" role="img" '
        f'aria-label="{escape(_("Cases per day of confirmation"))}">{style}{"".join(parts)}</svg>'
    )
