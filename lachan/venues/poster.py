"""QR posters for the venue's door: PNG (segno + Pillow) and A4 PDF (reportlab). Vietnamese text needs
a font with its glyphs: DejaVu Sans (Debian fonts-dejavu-core, `make fonts`); without it the PNG uses
Pillow's default font and the PDF Helvetica, which still render, with less pretty accents."""

from __future__ import annotations

import io

import segno

from lachan.core.pdf import font_path, fonts, text_wrap

from .models import Venue


def _lines(venue: Venue) -> tuple[str, str, list[str]]:
    address = ", ".join(p for p in (venue.place.address, venue.place.commune.label) if p)  # "Phường 1, TP. Mỹ Tho"
    # The poster hangs on a Vietnamese door whoever prints it: Vietnamese always, English below.
    instructions = [
        "Quét mã để khai báo",
        "Mở camera điện thoại, hướng vào mã QR và bấm «Khai báo vào». Nhớ bấm «Ra về» khi rời đi.",
        "Scan the code to check in; check out when you leave.",
    ]
    return venue.place.name, address, instructions


def poster_png(venue: Venue, url: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = 1240, 1754  # A4 at 150 dpi
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def font(size, bold=False):
        path = font_path("DejaVuSans-Bold" if bold else "DejaVuSans")
        return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)

    title, address, instructions = _lines(venue)
    y = 90
    for text, f in ((title, font(64, True)), (address, font(34))):
        for line in _wrap(draw, text, f, width - 160):
            draw.text((width // 2, y), line, font=f, fill="black", anchor="ma")
            y += int(f.size * 1.3)
    y += 30
    qr = segno.make(url, error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=22, border=2)
    code_image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    side = min(900, code_image.width)
    code_image = code_image.resize((side, side), Image.NEAREST)
    image.paste(code_image, ((width - side) // 2, y))
    y += side + 40
    f = font(56, True)
    draw.text((width // 2, y), instructions[0], font=f, fill="#0b5394", anchor="ma")
    y += 90
    for text in instructions[1:]:
        for line in _wrap(draw, text, font(32), width - 200):
            draw.text((width // 2, y), line, font=font(32), fill="black", anchor="ma")
            y += 44
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _wrap(draw, text: str, font, max_width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= max_width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines


def poster_pdf(venue: Venue, url: str) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    regular, bold = fonts()
    title, address, instructions = _lines(venue)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(title)
    width, height = A4
    y = height - 30 * mm
    for text, name, size in ((title, bold, 24), (address, regular, 13)):
        for line in text_wrap(text, name, size, width - 40 * mm):
            page.setFont(name, size)
            page.drawCentredString(width / 2, y, line)
            y -= size * 1.4
    side = 120 * mm
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    y -= side + 8 * mm
    renderPDF.draw(drawing, page, (width - side) / 2, y)
    y -= 14 * mm
    page.setFont(bold, 22)
    page.setFillColorRGB(0.04, 0.33, 0.58)
    page.drawCentredString(width / 2, y, instructions[0])
    page.setFillColorRGB(0, 0, 0)
    y -= 12 * mm
    for text in instructions[1:]:
        for line in text_wrap(text, regular, 12, width - 50 * mm):
            page.setFont(regular, 12)
            page.drawCentredString(width / 2, y, line)
            y -= 17
    page.showPage()
    page.save()
    return out.getvalue()
