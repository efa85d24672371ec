"""The printable order (Quyết định cách ly y tế / cách ly điều trị) and the completion certificate (Giấy xác
nhận hoàn thành thời gian cách ly), A4 PDFs in Vietnamese whoever prints them: they are handed to the person
and shown to officials. DejaVu Serif (else Sans) carries the accents (Debian fonts-dejavu-core); Times stands in
without it. The legal bases cited are the Law on Prevention and Control of Infectious Diseases (03/2007/QH12) and
Decree 101/2010/NĐ-CP (medical quarantine), and the policy version the order was made under; the decision is
valid once signed and stamped by the People's Committee (the platform prints it, it does not sign it)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.core.errors import DomainError
from lachan.core.pdf import MM, fonts

from .errors import QuarantineErrorCode as Code
from .models import Order, OrderKind, OrderStatus, Setting, TestStatus

TEST_STATUS_VI = {TestStatus.PLANNED: "chưa lấy mẫu", TestStatus.SAMPLED: "đã lấy mẫu", TestStatus.DONE: "có kết quả",
                  TestStatus.MISSED: "không lấy được mẫu", TestStatus.CANCELLED: "không cần"}
RESULT_VI = {"negative": "âm tính", "positive": "dương tính", "inconclusive": "không xác định",
             "invalid": "không hợp lệ", "retest": "mẫu gộp dương tính, lấy mẫu lại", "rejected": "mẫu bị từ chối"}
SEX_VI = {"M": "Nam", "F": "Nữ"}


def _d(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _long_date(value: date) -> str:
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def _styles():
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = fonts("serif")
    base = ParagraphStyle("base", fontName=regular, fontSize=11, leading=14.5, alignment=TA_JUSTIFY, spaceAfter=2.5)
    return {
        "base": base,
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "head": ParagraphStyle("head", parent=base, fontName=bold, alignment=TA_CENTER, fontSize=10.5, leading=13.5),
        "title": ParagraphStyle("title", parent=base, fontName=bold, alignment=TA_CENTER, fontSize=14, leading=18,
                                spaceBefore=10, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontName=bold, alignment=TA_CENTER, fontSize=11.5,
                                   spaceAfter=8),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor="#5b6b63"),
        "bold": bold, "regular": regular,
    }


def _header(order: Order, st, *, left_top: str, left_bottom: str, number: str) -> list:
    """The two-column head of a Vietnamese administrative document: issuer and number left, the national
    motto and the place and date right."""
    from reportlab.platypus import Paragraph, Table, TableStyle

    issued_on = timezone.localdate()
    place = order.commune.short_name or order.commune.name
    left = [Paragraph(escape(left_top.upper()), st["head"]), Paragraph(escape(left_bottom.upper()), st["head"]),
            Paragraph("—————", st["center"]), Paragraph(escape(number), st["center"])]
    right = [Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st["head"]),
             Paragraph("Độc lập – Tự do – Hạnh phúc", st["head"]), Paragraph("—————", st["center"]),
             Paragraph(f"<i>{escape(place)}, {_long_date(issued_on)}</i>", st["center"])]
    table = Table([[left, right]], colWidths=[72 * MM, 98 * MM])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [table]


def _committee_above(order: Order) -> str:
    """The issuer's first line: the People's Committee above the commune's ("UBND Thành phố Mỹ Tho"). The
    commune's committee and station keep their legal name ("UBND Phường 1"); this line tells which Phường 1."""
    parent = order.commune.parent if order.commune.parent_id else None
    return f"UBND {parent.name}" if parent is not None else "Ủy ban nhân dân"


def _person_lines(order: Order) -> list[str]:
    person = order.person
    born = person.birth_date.strftime("%d/%m/%Y") if person.birth_date else (str(person.birth_year or "") or "—")
    lines = [f"Họ và tên: <b>{escape(person.full_name)}</b>; giới tính: {SEX_VI.get(person.sex, '—')}; "
             f"ngày/năm sinh: {born}",
             f"Số CCCD: {escape(person.national_id or '—')}; điện thoại: {escape(person.phone or '—')}",
             f"Nơi cư trú: {escape(', '.join(p for p in (person.address_line, person.commune.address_label) if p))}"]
    return lines


def _where(order: Order) -> str:
    if order.setting == Setting.FACILITY and order.facility_id:
        room = f", phòng {escape(order.room.name)}" if order.room_id else ""
        text = f"tại cơ sở cách ly tập trung <b>{escape(order.facility.place.name)}</b>{room}"
        if order.facility.place.address:
            text += f" ({escape(order.facility.place.address)})"
        return text
    address = ", ".join(p for p in (order.address, order.commune.address_label) if p)
    return f"tại nhà: <b>{escape(address)}</b>"


def _reason(order: Order) -> str:
    case = getattr(order, "case", None) if order.case_id else None
    if order.kind == OrderKind.ISOLATION:
        return "Người mắc COVID-19 (F0)" + (f", mã ca bệnh {escape(case.code)}" if case else "") + "."
    tier = f"F{order.contact_tier}" if order.contact_tier else "người tiếp xúc"
    text = f"Là {tier}" + (f" của ca bệnh {escape(case.code)}" if case else "")
    if order.exposed_on:
        text += f", tiếp xúc lần cuối ngày {_d(order.exposed_on)}"
    return text + "."


def _tests_line(order: Order) -> str:
    tests = list(order.tests.order_by("due_on"))
    if not tests:
        return "Không yêu cầu xét nghiệm."
    return "Xét nghiệm SARS-CoV-2 vào các ngày: " + "; ".join(
        f"{_d(t.due_on)} (ngày thứ {t.day})" for t in tests) + "."


def order_pdf(order: Order) -> bytes:
    """The decision: who, why, where, from when to when, the tests, the person's duties, who monitors."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    st = _styles()
    isolation = order.kind == OrderKind.ISOLATION
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * MM, rightMargin=20 * MM, topMargin=15 * MM,
                            bottomMargin=15 * MM, title=f"Quyết định {order.code}", author="Lá Chắn")
    committee = order.commune.name
    story = _header(order, st, left_top=_committee_above(order),
                    left_bottom=f"UBND {committee}", number=f"Số: {order.code}")
    story.append(Paragraph("QUYẾT ĐỊNH", st["title"]))
    subject = ("Về việc cách ly y tế người mắc COVID-19 (cách ly điều trị)" if isolation
               else "Về việc áp dụng biện pháp cách ly y tế")
    story.append(Paragraph(subject, st["subtitle"]))
    story.append(Paragraph(f"<b>CHỦ TỊCH ỦY BAN NHÂN DÂN {escape(committee.upper())}</b>", st["center"]))
    story.append(Spacer(1, 3 * MM))
    bases = [
        "Căn cứ Luật Phòng, chống bệnh truyền nhiễm ngày 21 tháng 11 năm 2007;",
        "Căn cứ Nghị định số 101/2010/NĐ-CP ngày 30 tháng 9 năm 2010 của Chính phủ quy định chi tiết thi hành một "
        "số điều của Luật Phòng, chống bệnh truyền nhiễm về áp dụng biện pháp cách ly y tế, cưỡng chế cách ly y tế "
        "và chống dịch đặc thù trong thời gian có dịch;",
        f"Căn cứ hướng dẫn phòng, chống dịch COVID-19 đang áp dụng ({escape(order.policy.version)});",
        f"Xét đề nghị của Trạm Y tế {escape(committee)},",
    ]
    story += [Paragraph(f"<i>{b}</i>", st["base"]) for b in bases]
    story.append(Paragraph("<b>QUYẾT ĐỊNH:</b>", st["center"]))
    story.append(Paragraph(f"<b>Điều 1.</b> Áp dụng biện pháp {'cách ly điều trị' if isolation else 'cách ly y tế'} "
                           "đối với:", st["base"]))
    story += [Paragraph("– " + line, st["base"]) for line in _person_lines(order)]
    story.append(Paragraph(f"– Lý do: {_reason(order)}", st["base"]))
    span = f"từ {_long_date(order.starts_on)} đến hết {_long_date(order.ends_on)} " \
           f"({_days(order.starts_on, order.ends_on)} ngày)"
    story.append(Paragraph(f"<b>Điều 2.</b> Hình thức và thời gian: {_where(order)}, {span}.", st["base"]))
    if order.home_from:
        story.append(Paragraph(f"Tại cơ sở cách ly đến hết ngày {_d(order.home_from - timedelta(days=1))}; "
                               f"từ ngày {_d(order.home_from)} tiếp tục cách ly, theo dõi sức khỏe tại nhà.",
                               st["base"]))
    story.append(Paragraph(_tests_line(order), st["base"]))
    duties = [
        "Không rời khỏi nơi cách ly trong thời gian cách ly; không tiếp xúc với người khác ngoài người cùng cách ly.",
        "Tự theo dõi sức khỏe và khai báo y tế hằng ngày (trang khai báo trên điện thoại hoặc qua cán bộ y tế).",
        "Thông báo ngay cho Trạm Y tế khi có sốt, ho, đau họng, khó thở hoặc mất vị giác, khứu giác.",
        "Chấp hành việc lấy mẫu xét nghiệm theo lịch tại Điều 2.",
    ]
    story.append(Paragraph("<b>Điều 3.</b> Người được cách ly có trách nhiệm:", st["base"]))
    story += [Paragraph("– " + d, st["base"]) for d in duties]
    story.append(Paragraph(f"<b>Điều 4.</b> Trạm Y tế {escape(order.commune.name)} theo dõi, giám sát sức khỏe người "
                           "được cách ly; Quyết định có hiệu lực kể từ ngày ký. Người có tên tại Điều 1 và các cơ quan, "
                           "đơn vị liên quan chịu trách nhiệm thi hành Quyết định này.", st["base"]))
    story.append(Spacer(1, 6 * MM))
    sign = [Paragraph("<b>Nơi nhận:</b><br/>– Như Điều 1, Điều 4;<br/>– Lưu: VT.", st["small"]),
            [Paragraph("<b>TM. ỦY BAN NHÂN DÂN</b>", st["center"]), Paragraph("<b>CHỦ TỊCH</b>", st["center"]),
             Paragraph("<i>(Ký, ghi rõ họ tên, đóng dấu)</i>", st["center"])]]
    table = Table([sign], colWidths=[80 * MM, 90 * MM])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    story.append(Spacer(1, 8 * MM))
    printed = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    story.append(Paragraph(f"In từ Lá Chắn lúc {printed} · Quyết định số {escape(order.code)} · "
                           f"Printed by Lá Chắn; valid once signed and stamped.", st["small"]))
    doc.build(story)
    return out.getvalue()


def certificate_pdf(order: Order) -> bytes:
    """The certificate of a completed (released) order: who, where, from when to when, under which decision,
    the tests and their results."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    st = _styles()
    isolation = order.kind == OrderKind.ISOLATION
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * MM, rightMargin=20 * MM, topMargin=15 * MM,
                            bottomMargin=15 * MM, title=f"Giấy xác nhận {order.code}", author="Lá Chắn")
    commune = order.commune.name
    story = _header(order, st, left_top=_committee_above(order), left_bottom=f"Trạm Y tế {commune}",
                    number=f"Số: {order.code}/XN")
    story.append(Paragraph("GIẤY XÁC NHẬN", st["title"]))
    story.append(Paragraph("Hoàn thành thời gian cách ly điều trị" if isolation
                           else "Hoàn thành thời gian cách ly y tế", st["subtitle"]))
    story.append(Paragraph(f"Trạm Y tế {escape(commune)} xác nhận:", st["base"]))
    story += [Paragraph("– " + line, st["base"]) for line in _person_lines(order)]
    ended = order.ended_on or order.ends_on
    story.append(Paragraph(
        f"Đã hoàn thành thời gian {'cách ly điều trị' if isolation else 'cách ly y tế'} {_where(order)} "
        f"từ {_long_date(order.starts_on)} đến hết {_long_date(min(ended, order.ends_on))} "
        f"({_days(order.starts_on, min(ended, order.ends_on))} ngày), theo Quyết định số {escape(order.code)}.",
        st["base"]))
    tests = list(order.tests.select_related("sample").order_by("due_on"))
    if tests:
        story.append(Paragraph("Kết quả xét nghiệm trong thời gian cách ly:", st["base"]))
        rows = [["Ngày thứ", "Ngày lấy mẫu", "Tình trạng", "Kết quả"]]
        for t in tests:
            # The person's own result (a pool's result is not theirs).
            result = t.result or (t.sample.result if t.sample_id and t.sample.result and not t.sample.pooled else "")
            rows.append([str(t.day), _d(t.due_on), TEST_STATUS_VI.get(t.status, t.status),
                         RESULT_VI.get(result, result or "—")])
        table = Table(rows, colWidths=[25 * MM, 35 * MM, 55 * MM, 45 * MM])
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st["regular"]),
                                   ("FONTNAME", (0, 0), (-1, 0), st["bold"]), ("FONTSIZE", (0, 0), (-1, -1), 10),
                                   ("GRID", (0, 0), (-1, -1), 0.5, "#b8c4bf"),
                                   ("BACKGROUND", (0, 0), (-1, 0), "#eef3f1")]))
        story += [table, Spacer(1, 3 * MM)]
    story.append(Paragraph("Giấy xác nhận này cấp cho người có tên trên để sử dụng khi cần thiết.", st["base"]))
    story.append(Spacer(1, 6 * MM))
    sign = [Paragraph("", st["small"]),
            [Paragraph("<b>TRƯỞNG TRẠM Y TẾ</b>", st["center"]),
             Paragraph("<i>(Ký, ghi rõ họ tên, đóng dấu)</i>", st["center"])]]
    table = Table([sign], colWidths=[80 * MM, 90 * MM])
    story.append(table)
    story.append(Spacer(1, 22 * MM))
    printed = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    story.append(Paragraph(f"In từ Lá Chắn lúc {printed} · Printed by Lá Chắn: certificate of completed "
                           "quarantine; valid once signed and stamped.", st["small"]))
    doc.build(story)
    return out.getvalue()


def document_for(*, order: Order, document: str, by) -> tuple[bytes, str]:
    """(PDF, file name) of an order's document, the printing audited. A certificate only for a released order."""
    if document == "certificate":
        if order.status != OrderStatus.RELEASED:
            raise DomainError(Code.ORDER_NOT_ACTIVE,
                              _("A completion certificate is for a released order; %(code)s is %(status)s.")
                              % {"code": order.code, "status": order.get_status_display()}, field="document")
        content, name = certificate_pdf(order), f"giay-xac-nhan-{order.code}.pdf"
    else:
        content, name = order_pdf(order), f"quyet-dinh-{order.code}.pdf"
    audit_record(actor=by, action="order.print", object_type="quarantine_order", object_id=order.pk,
                 person_id=order.person_id, detail={"code": order.code, "document": document})
    return content, name
