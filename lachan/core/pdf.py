"""PDF furniture shared by every printable document (orders, certificates, tube labels, result slips, venue
posters): the fonts that carry Vietnamese accents, millimetres, text fitting and wrapping, vector QR codes.

DejaVu (Debian fonts-dejavu-core, `make fonts`) carries the accents; without it the PDF standard fonts stand in
(Helvetica for sans, Times for serif), which still render, with less pretty accents."""

from __future__ import annotations

from pathlib import Path

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
MM = 72 / 25.4
AUTHOR = "Lá Chắn"

# style: the families tried in order, each (regular, bold, italic, bold italic), and the standard fallback.
_FAMILIES = {
    "serif": (
        (("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"),
         ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique")),
        ("Times-Roman", "Times-Bold"),
    ),
    "sans": (
        (("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),),
        ("Helvetica", "Helvetica-Bold"),
    ),
}


def font_path(name: str) -> Path | None:
    """The TrueType file of a font ("DejaVuSans-Bold"), or None when it is not installed."""
    return next((d / f"{name}.ttf" for d in FONT_DIRS if (d / f"{name}.ttf").exists()), None)


def fonts(style: str = "sans") -> tuple[str, str]:
    """The (regular, bold) font names for reportlab, registered once per process as a family so that <b> and <i>
    work in paragraphs; italics fall back to the upright faces when only fonts-dejavu-core is installed. A serif
    (like the Times of official documents) falls back to DejaVu Sans, then Times; a sans to Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    families, fallback = _FAMILIES[style]
    for regular, bold, italic, bold_italic in families:
        if font_path(regular) is None or font_path(bold) is None:
            continue
        registered = set(pdfmetrics.getRegisteredFontNames())
        faces = {}
        for name, upright in ((regular, regular), (bold, bold), (italic, regular), (bold_italic, bold)):
            chosen = name if font_path(name) is not None else upright
            if chosen not in registered:
                pdfmetrics.registerFont(TTFont(chosen, str(font_path(chosen))))
                registered.add(chosen)
            faces[name] = chosen
        pdfmetrics.registerFontFamily(regular, normal=faces[regular], bold=faces[bold], italic=faces[italic],
                                      boldItalic=faces[bold_italic])
        return regular, bold
    return fallback


def text_fit(text: str, font: str, size: float, width: float) -> str:
    """The text cut with an ellipsis to fit the width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def text_wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """The text broken into lines at spaces to fit the width (a word longer than the width keeps its own line)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if stringWidth(trial, font, size) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines


def qr_draw(page, data: str, x: float, y: float, side: float, *, error: str = "m") -> None:
    """A QR code as vector squares, lower-left corner at (x, y), with a one-module quiet zone (segno gives the
    matrix; no image, so it stays sharp on any printer)."""
    import segno

    matrix = segno.make(data, error=error, micro=False).matrix
    border = 1
    module = side / (len(matrix) + 2 * border)
    page.setFillColorRGB(0, 0, 0)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                page.rect(x + (col + border) * module, y + side - (row + border + 1) * module, module, module,
                          stroke=0, fill=1)


def page_furniture(page, title: str, author: str = AUTHOR) -> None:
    """The document properties a PDF viewer shows (a canvas; SimpleDocTemplate takes title= and author=)."""
    page.setTitle(title)
    page.setAuthor(author)
