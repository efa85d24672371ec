"""The one PDF module: fonts with and without DejaVu installed, text fitting and wrapping, vector QR codes."""

import io

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from lachan.core import pdf


@pytest.fixture
def no_fonts(monkeypatch):
    monkeypatch.setattr(pdf, "FONT_DIRS", ())


def test_standard_fonts_stand_in_without_dejavu(no_fonts):
    assert pdf.font_path("DejaVuSans") is None
    assert pdf.fonts("sans") == ("Helvetica", "Helvetica-Bold")
    assert pdf.fonts("serif") == ("Times-Roman", "Times-Bold")


@pytest.mark.skipif(pdf.font_path("DejaVuSans-Bold") is None, reason="fonts-dejavu-core is not installed")
def test_dejavu_registered_once_as_a_family():
    assert pdf.fonts("sans") == ("DejaVuSans", "DejaVuSans-Bold")
    assert pdf.fonts("sans") == ("DejaVuSans", "DejaVuSans-Bold")  # twice: registered once, no error
    expected = ("DejaVuSerif", "DejaVuSerif-Bold") if pdf.font_path("DejaVuSerif-Bold") else ("DejaVuSans",
                                                                                              "DejaVuSans-Bold")
    assert pdf.fonts("serif") == expected
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= set(pdfmetrics.getRegisteredFontNames())


def test_text_fit_and_wrap():
    assert pdf.text_fit("Trạm", "Helvetica", 10, 200) == "Trạm"
    cut = pdf.text_fit("Trạm y tế xã Tân Mỹ Chánh, thành phố Mỹ Tho", "Helvetica", 10, 60)
    assert cut.endswith("…") and pdfmetrics.stringWidth(cut, "Helvetica", 10) <= 60
    lines = pdf.text_wrap("Quét mã để khai báo khi vào và ra về", "Helvetica", 12, 80)
    assert len(lines) > 1 and " ".join(lines) == "Quét mã để khai báo khi vào và ra về"
    assert pdf.text_wrap("", "Helvetica", 12, 80) == []
    assert pdf.text_wrap("Supercalifragilistic", "Helvetica", 12, 10) == ["Supercalifragilistic"]


def test_qr_and_furniture_make_a_pdf():
    out = io.BytesIO()
    page = canvas.Canvas(out)
    pdf.page_furniture(page, "Phiếu kết quả")
    pdf.qr_draw(page, "https://lachan.example/v/ABC", 10 * pdf.MM, 10 * pdf.MM, 30 * pdf.MM)
    assert (page._doc.info.title, page._doc.info.author) == ("Phiếu kết quả", "Lá Chắn")
    page.showPage()
    page.save()
    assert out.getvalue().startswith(b"%PDF") and b"/Author" in out.getvalue()
