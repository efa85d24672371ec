"""Tube labels (PDF): a Code128 barcode and a QR of the tube code, the campaign, the site, the day and,
for a pool, how many people are in it — never a name (a tube travels through many hands).

One label on a label-sized page (a label printer), or a sheet of A4 labels, 3 × 8 of 66 × 34 mm. The text
is Vietnamese whoever prints it, as the labs reading the tubes are; DejaVu Sans carries the accents
(Debian fonts-dejavu-core), Helvetica stands in without it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from lachan.core.pdf import MM, fonts, qr_draw, text_fit

from ..models import Sample

LABEL_W, LABEL_H = 66 * MM, 34 * MM
COLUMNS, ROWS = 3, 8
SHEET_MARGIN_X, SHEET_MARGIN_Y = 6 * MM, 12.5 * MM


@dataclass
class Label:
    code: str
    campaign: str = ""
    site: str = ""
    collected_at: datetime | None = None
    round: int | None = None
    members: int | None = None  # None: a blank pre-printed label
    pooled: bool = False


def label_of(sample: Sample, members: int | None = None) -> Label:
    count = members if members is not None else getattr(sample, "swab_count", None)
    if count is None:
        count = sample.swabs.count()
    return Label(code=sample.code, campaign=sample.campaign.name if sample.campaign else "",
                 site=sample.site.name if sample.site else "", collected_at=sample.collected_at,
                 round=sample.round, members=count, pooled=sample.pooled)


def _barcode(page, code: str, x: float, y: float, width: float, height: float) -> None:
    from reportlab.graphics.barcode.code128 import Code128Auto

    probe = Code128Auto(code, barWidth=1, humanReadable=False)
    bar = Code128Auto(code, barWidth=width / probe.width, barHeight=height, humanReadable=False)
    bar.drawOn(page, x + (width - bar.width) / 2, y)


def _draw(page, label: Label, x: float, y: float, fonts: tuple[str, str]) -> None:
    regular, bold = fonts
    pad = 2 * MM
    top = y + LABEL_H - pad
    _barcode(page, label.code, x + pad, top - 10 * MM, LABEL_W - 2 * pad, 10 * MM)
    side = 17 * MM
    qr_draw(page, label.code, x + pad - 1 * MM, y + pad - 1 * MM, side)
    tx = x + pad + side + 0.5 * MM
    width = x + LABEL_W - pad - tx
    line = top - 10 * MM - 4.2 * MM
    page.setFillColorRGB(0, 0, 0)
    page.setFont(bold, 9.5)
    page.drawString(tx, line, text_fit(label.code, bold, 9.5, width))
    when = timezone.localtime(label.collected_at).strftime("%d/%m/%Y %H:%M") if label.collected_at else "__/__/____"
    if label.members is None:
        kind = "Số người: ____"
    elif label.pooled:
        kind = f"Mẫu gộp: {label.members} người"
    else:
        kind = "Mẫu đơn"
    rows = [
        (regular, 6.5, label.campaign or "Đợt: ____________"),
        (regular, 6.5, label.site or "Điểm: ____________"),
        (regular, 6.5, f"Lấy mẫu: {when}" + (f" · Lần {label.round}" if label.round else "")),
        (bold, 7.5, kind),
    ]
    line -= 3.6 * MM
    for font, size, text in rows:
        page.setFont(font, size)
        page.drawString(tx, line, text_fit(text, font, size, width))
        line -= size * 1.25


def labels_pdf(labels: list[Label], *, sheet: bool, title: str = "") -> bytes:
    """One label per page (`sheet` False: a label printer) or A4 sheets of 3 × 8 with cut guides."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    faces = fonts()
    out = io.BytesIO()
    size = A4 if sheet else (LABEL_W, LABEL_H)
    page = canvas.Canvas(out, pagesize=size)
    page.setTitle(title or (labels[0].code if labels else "labels"))
    if not sheet:
        for label in labels:
            _draw(page, label, 0, 0, faces)
            page.showPage()
    else:
        per_page = COLUMNS * ROWS
        for start in range(0, len(labels), per_page):
            for n, label in enumerate(labels[start:start + per_page]):
                col, row = n % COLUMNS, n // COLUMNS
                x = SHEET_MARGIN_X + col * LABEL_W
                y = A4[1] - SHEET_MARGIN_Y - (row + 1) * LABEL_H
                page.setStrokeColorRGB(0.8, 0.8, 0.8)
                page.setLineWidth(0.3)
                page.rect(x, y, LABEL_W, LABEL_H, stroke=1, fill=0)
                _draw(page, label, x, y, faces)
            page.showPage()
    if not labels:
        page.showPage()
    page.save()
    return out.getvalue()
