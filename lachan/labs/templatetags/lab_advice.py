"""{% pool_advice unit %}: the pool size advice box shown where sampling is planned (the campaign page and
form), for the communes of a campaign's area (or of the user's jurisdiction when there is no area yet)."""

from django import template

from lachan.labs.dashboard import advice

register = template.Library()
MAX_ROWS = 8


@register.inclusion_tag("labs/_advice_box.html", takes_context=True)
def pool_advice(context, unit=None, planned=None):
    request = context.get("request")
    communes = advice.communes_of(unit) if unit is not None else advice.communes_for(
        getattr(request, "user", None))
    table = advice.advice_table(list(communes))
    # the communes most in need of smaller pools first
    rows = sorted(table.rows, key=lambda r: (r.advice.rate is None, -(r.advice.rate or 0), r.commune.path))
    sizes = {r.advice.pool_size for r in table.rows if r.advice.source != "none"}
    return {"table": table, "rows": rows[:MAX_ROWS], "more": max(0, len(rows) - MAX_ROWS), "unit": unit,
            "planned": planned, "sizes": sorted(sizes, key=lambda k: k or 0)}
