"""The laboratory dashboard and the pool size advice table, within the user's jurisdiction."""

from __future__ import annotations

from django.shortcuts import render

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.numbers import int_or_none

from . import advice
from . import services as board


def _int(value) -> int | None:
    return int_or_none(value, max_digits=3)


@staff_view(Perm.LABS_VIEW)
def dashboard(request):
    data = board.dashboard(user=request.user, days=_int(request.GET.get("days")))
    tests, positives = data.window
    return render(request, "labs/dashboard.html", {
        "d": data, "buckets": [label for _h, label in board.AGE_BUCKETS], "windows": board.WINDOWS,
        "window_tests": tests, "window_positives": positives,
        "window_percent": data.window_percent,
        "series_table": [d for d in reversed(data.series) if d.tests][:14],
    })


@staff_view(Perm.LABS_VIEW)
def advice_page(request):
    """The advice for every commune of the user's jurisdiction, by district."""
    communes = list(advice.communes_for(request.user))
    table = advice.advice_table(communes)
    return render(request, "labs/advice.html", {"table": table, "examples": _examples(table)})


def _examples(table: advice.AdviceTable) -> list[dict]:
    """What the formula gives at a few rates, for the explanation under the table."""
    out = []
    for rate in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3):
        k = advice.best_pool_size(rate, min_size=table.min_size, max_size=table.max_size)
        out.append({"percent": 100 * rate, "k": k, "per_person": advice.tests_per_person(rate, k or 1),
                    "saved": advice.kits_saved(rate, k)})
    return out
