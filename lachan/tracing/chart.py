"""The transmission chain as plain server-rendered SVG: F0 on the left, F1 then F2/F3 to the right,
one band per case; a contact who became a case is drawn red. No JavaScript, no CDN."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe

COL_X = {0: 20, 1: 260, 2: 500, 3: 740}
ROW_H = 26
NODE_W = 210
MAX_PER_CASE = 25


def _node(x, y, text, css, href=""):
    label = escape(text[:32])
    body = (f'<rect x="{x}" y="{y}" width="{NODE_W}" height="20" rx="4" class="{css}"/>'
            f'<text x="{x + 6}" y="{y + 14}">{label}</text>')
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def chain_svg(cases) -> str:
    parts, y = [], 10
    for case in cases:
        contacts = case.chain_contacts[:MAX_PER_CASE]
        top = y
        pos = {case.person_id: (COL_X[0] + NODE_W, top + 10)}
        rows = {1: top, 2: top, 3: top}
        lines, nodes = [], [_node(COL_X[0], top, f"{case.code} {case.person.full_name}", "f0", f"/cases/{case.pk}/")]
        for contact in contacts:
            tier = min(contact.tier, 3)
            cy = rows[tier]
            rows[tier] += ROW_H
            src = pos.get(contact.via_id) if contact.via_id else pos[case.person_id]
            src = src or pos[case.person_id]
            x = COL_X[tier]
            lines.append(f'<line x1="{src[0]}" y1="{src[1]}" x2="{x}" y2="{cy + 10}" class="edge t{tier}"/>')
            css = "became" if getattr(contact, "became_case", None) else f"t{tier}"
            label = f"F{tier} {contact.person.full_name}"
            if getattr(contact, "became_case", None):
                label += f" → {contact.became_case.code}"
            nodes.append(_node(x, cy, label, css))
            pos.setdefault(contact.person_id, (x + NODE_W, cy + 10))
        more = len(case.chain_contacts) - len(contacts)
        if more > 0:
            nodes.append(f'<text x="{COL_X[1]}" y="{max(rows.values()) + 14}" class="more">+{more}</text>')
            rows[1] += ROW_H
        parts.extend(lines + nodes)
        y = max(max(rows.values()), top + ROW_H) + 16
    height = max(y, 40)
    style = ("<style>text{font:12px sans-serif;fill:#111}.f0{fill:#f8d7da;stroke:#b02a37}.t1{fill:#fff3cd;stroke:#b58100}"
             ".t2{fill:#e7f1ff;stroke:#3d6fb6}.t3{fill:#eee;stroke:#888}.became{fill:#f1aeb5;stroke:#b02a37}"
             ".edge{stroke:#999;fill:none}.more{fill:#555}</style>")
    return mark_safe(  # noqa: S308 (every text above is escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{COL_X[3] + NODE_W + 20}" height="{height}" '
        f'role="img" aria-label="transmission chain">{style}{"".join(parts)}</svg>'
    )
