"""The signed result slip: a PDF (Vietnamese with English sub-labels, DejaVu Sans like the tube labels) with
the person's name, year of birth, masked CCCD, the tube, the test, its dates, the result and the laboratory,
and a QR code of the verification address /ket-qua/xac-minh/<token>.

The token is `<swab id>.<outcome letter><corrections>.<signature>`: the swab id in URL-safe base64, a letter
for the person's result, the number of corrections the tube's result had when the slip was made, and an HMAC
(Django signing, SECRET_KEY and its fallbacks, salt "lachan.labs.slip") cut to 22 characters (132 bits) so
the QR stays small. The verification page answers "valid" only while the result is still the one printed: a
correction (even back to the same result) makes older slips "superseded". Forged, truncated or unknown tokens
get a plain "not valid", never an error page.

The download link shown after a look-up carries a second, short-lived token (TimestampSigner, 30 minutes), so
the address of a slip does not stay usable by whoever sees it later."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound
from lachan.core.pdf import MM, fonts, qr_draw, text_fit

from ..access import require_perm, swab_scope_q
from ..errors import LabErrorCode
from ..models import ResultCorrection, SampleStatus, Swab, SwabOutcome, TestType
from .services import mask_name

SALT = "lachan.labs.slip"
DOWNLOAD_SALT = "lachan.labs.slip-download"
DOWNLOAD_MAX_AGE = 30 * 60
SIGNATURE_LENGTH = 22
MAX_TOKEN = 80
LETTERS = {SwabOutcome.NEGATIVE: "N", SwabOutcome.POSITIVE: "P", SwabOutcome.RETEST: "R",
           SwabOutcome.INCONCLUSIVE: "I"}
SLIP_OUTCOMES = tuple(LETTERS)  # a rejected tube or a result not yet released has no slip

# The slip is printed in Vietnamese whatever the reader's language (it is shown to Vietnamese officials),
# with English sub-labels for travellers.
OUTCOME_TEXT = {
    SwabOutcome.NEGATIVE: ("ÂM TÍNH", "Negative"),
    SwabOutcome.POSITIVE: ("DƯƠNG TÍNH", "Positive"),
    SwabOutcome.RETEST: ("MẪU GỘP DƯƠNG TÍNH – cần xét nghiệm lại mẫu đơn",
                         "Positive pool – an individual re-test is needed"),
    SwabOutcome.INCONCLUSIVE: ("KHÔNG XÁC ĐỊNH – cần lấy mẫu lại", "Inconclusive – to be sampled again"),
}
TEST_TEXT = {TestType.RT_PCR: "RT-PCR", TestType.RAPID_ANTIGEN: "Test nhanh kháng nguyên / Rapid antigen test"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(body: str, key) -> str:
    return signing.base64_hmac(SALT + "signer", body, key, algorithm="sha256")[:SIGNATURE_LENGTH]


def _keys() -> list:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def slip_token(swab_id: UUID, outcome: str, corrections: int) -> str:
    body = f"{_b64(swab_id.bytes)}.{LETTERS[outcome]}{corrections}"
    return f"{body}.{_signature(body, settings.SECRET_KEY)}"


def _invalid() -> DomainError:
    return DomainError(LabErrorCode.SLIP_INVALID, _("This result slip is not valid: it was not issued by Lá Chắn, or "
                                                    "its code is incomplete."), field="token")


def token_parse(token: str) -> tuple[UUID, str, int]:
    """(swab id, outcome letter, corrections) of a genuine token; DomainError SLIP_INVALID otherwise."""
    token = str(token or "").strip().strip("/")
    if "/xac-minh/" in token:  # a whole scanned address
        token = token.rsplit("/xac-minh/", 1)[1].strip("/")
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        raise _invalid()
    body, sep, signature = token.rpartition(".")
    if not sep or not any(constant_time_compare(signature, _signature(body, key)) for key in _keys()):
        raise _invalid()
    swab_part, _sep, mark = body.partition(".")
    try:
        swab_id = UUID(bytes=_unb64(swab_part))
        letter, corrections = mark[:1], int(mark[1:])
    except (ValueError, binascii.Error):  # signed but not one of ours (a key shared with something else)
        raise _invalid() from None
    if letter not in LETTERS.values():
        raise _invalid()
    return swab_id, letter, corrections


@dataclass(frozen=True)
class SlipCheck:
    valid: bool  # False: superseded (genuine, but the result was corrected since)
    masked_name: str
    outcome: str  # the one printed on the slip
    released_at: datetime | None
    code: str


def _swab(swab_id: UUID) -> Swab | None:
    return (Swab.objects.select_related("sample__laboratory__place", "person").filter(pk=swab_id).first())


def slip_verify(token: str) -> SlipCheck:
    """What the verification page says about a scanned slip. DomainError SLIP_INVALID when the token is not
    genuine or its swab is gone."""
    swab_id, letter, corrections = token_parse(token)
    swab = _swab(swab_id)
    if swab is None:
        raise _invalid()
    printed = next(outcome for outcome, mark in LETTERS.items() if mark == letter)
    sample = swab.sample
    current = (sample.status == SampleStatus.RELEASED and LETTERS.get(swab.outcome) == letter
               and ResultCorrection.objects.filter(sample_id=sample.pk).count() == corrections)
    return SlipCheck(valid=current, masked_name=mask_name(swab.person.full_name), outcome=printed,
                     released_at=sample.released_at, code=sample.code)


# ---- the short-lived download link ---------------------------------------------------------------------

def download_token(swab_id: UUID) -> str:
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign(_b64(swab_id.bytes))


def download_swab_id(token: str) -> UUID:
    """The swab of a download link made in the last 30 minutes; DomainError otherwise."""
    try:
        value = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign(str(token or "")[:MAX_TOKEN],
                                                                   max_age=DOWNLOAD_MAX_AGE)
        return UUID(bytes=_unb64(value))
    except signing.SignatureExpired:
        raise DomainError(LabErrorCode.SLIP_INVALID, _("This download link has expired: look your result up again."),
                          field="token") from None
    except (signing.BadSignature, ValueError, binascii.Error):
        raise _invalid() from None


# ---- the slip ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slip:
    swab_id: UUID
    person_id: UUID
    full_name: str
    birth_year: int | None
    national_id: str  # masked
    code: str
    pooled: bool
    test_type: str
    collected_at: datetime
    released_at: datetime | None
    outcome: str
    laboratory: str
    token: str


def mask_national_id(value: str) -> str:
    value = str(value or "")
    return "•" * (len(value) - 4) + value[-4:] if len(value) > 4 else ""


def slip_of(swab_id: UUID) -> Slip:
    """The slip of a swab whose result is released (NotFound otherwise)."""
    swab = _swab(swab_id)
    if swab is None or swab.sample.status != SampleStatus.RELEASED or swab.outcome not in SLIP_OUTCOMES:
        raise NotFound(LabErrorCode.SLIP_INVALID, _("There is no released result to print for this person yet."))
    sample, person = swab.sample, swab.person
    corrections = ResultCorrection.objects.filter(sample_id=sample.pk).count()
    return Slip(swab_id=swab.pk, person_id=person.pk, full_name=person.full_name,
                birth_year=person.effective_birth_year, national_id=mask_national_id(person.national_id),
                code=sample.code, pooled=sample.pooled, test_type=sample.test_type, collected_at=sample.collected_at,
                released_at=sample.released_at, outcome=swab.outcome,
                laboratory=sample.laboratory.place.name if sample.laboratory_id else "",
                token=slip_token(swab.pk, swab.outcome, corrections))


def slip_for_staff(*, user, sample_id, swab_id) -> Slip:
    """A person's slip printed by staff: only for someone they may see (NotFound otherwise), audited."""
    require_perm(user, Perm.LABS_VIEW)
    try:
        sample_id, swab_id = UUID(str(sample_id)), UUID(str(swab_id))
    except ValueError:
        raise NotFound(LabErrorCode.SWAB_NOT_FOUND, _("Swab not found.")) from None
    if not Swab.objects.filter(swab_scope_q(user), pk=swab_id, sample_id=sample_id).exists():
        raise NotFound(LabErrorCode.SWAB_NOT_FOUND, _("Swab not found."))
    slip = slip_of(swab_id)
    audit_record(actor=user, action="labs.slip", object_type="swab", object_id=swab_id, person_id=slip.person_id,
                 detail={"code": slip.code})
    return slip


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else "—"


def slip_pdf(slip: Slip, verify_url: str, *, now: datetime | None = None) -> bytes:
    """One A5 page."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    regular, bold = fonts()
    out = io.BytesIO()
    width, height = A5
    page = canvas.Canvas(out, pagesize=A5)
    page.setTitle(f"Phiếu kết quả xét nghiệm {slip.code}")
    page.setAuthor("Lá Chắn")
    margin = 12 * MM
    text_w = width - 2 * margin
    y = height - margin - 4 * MM
    page.setFillColorRGB(0.04, 0.43, 0.31)
    page.setFont(bold, 15)
    page.drawString(margin, y, "PHIẾU KẾT QUẢ XÉT NGHIỆM")
    y -= 5.5 * MM
    page.setFont(regular, 9)
    page.setFillColorRGB(0.36, 0.42, 0.39)
    page.drawString(margin, y, "Test result slip · Lá Chắn")
    y -= 3 * MM
    page.setStrokeColorRGB(0.04, 0.43, 0.31)
    page.setLineWidth(1)
    page.line(margin, y, width - margin, y)
    y -= 8 * MM
    sample_text = slip.code + ("  (mẫu gộp / pooled)" if slip.pooled else "")
    rows = [
        ("Họ và tên", "Name", slip.full_name),
        ("Năm sinh", "Year of birth", str(slip.birth_year or "—")),
        ("Số CCCD", "ID number", slip.national_id or "—"),
        ("Mã mẫu", "Sample code", sample_text),
        ("Xét nghiệm", "Test", TEST_TEXT.get(slip.test_type, slip.test_type)),
        ("Ngày lấy mẫu", "Collected", _when(slip.collected_at)),
        ("Ngày trả kết quả", "Result released", _when(slip.released_at)),
        ("Nơi xét nghiệm", "Laboratory", slip.laboratory or "—"),
    ]
    label_w = 36 * MM
    for vi, en, value in rows:
        page.setFillColorRGB(0.36, 0.42, 0.39)
        page.setFont(regular, 8.5)
        page.drawString(margin, y, vi)
        page.setFont(regular, 6.5)
        page.drawString(margin, y - 3 * MM, en)
        page.setFillColorRGB(0.11, 0.16, 0.14)
        page.setFont(bold if vi == "Họ và tên" else regular, 10.5)
        page.drawString(margin + label_w, y, text_fit(value, regular, 10.5, text_w - label_w))
        y -= 8.5 * MM
    y -= 2 * MM
    vi_text, en_text = OUTCOME_TEXT[slip.outcome]
    positive = slip.outcome in (SwabOutcome.POSITIVE, SwabOutcome.RETEST)
    box_h = 17 * MM
    page.setFillColorRGB(*((0.98, 0.89, 0.87) if positive else (0.91, 0.96, 0.93)))
    page.setStrokeColorRGB(*((0.75, 0.22, 0.17) if positive else (0.04, 0.43, 0.31)))
    page.roundRect(margin, y - box_h + 5 * MM, text_w, box_h, 2 * MM, stroke=1, fill=1)
    page.setFillColorRGB(0.36, 0.42, 0.39)
    page.setFont(regular, 8.5)
    page.drawString(margin + 3 * MM, y, "Kết quả / Result")
    page.setFillColorRGB(*((0.56, 0.13, 0.09) if positive else (0.04, 0.36, 0.21)))
    size = 15 if len(vi_text) < 20 else 10.5
    page.setFont(bold, size)
    page.drawString(margin + 3 * MM, y - 6 * MM, text_fit(vi_text, bold, size, text_w - 6 * MM))
    page.setFont(regular, 8)
    page.drawString(margin + 3 * MM, y - 10 * MM, en_text)
    y -= box_h + 4 * MM
    side = 34 * MM
    qr_y = max(margin + 10 * MM, y - side)
    qr_draw(page, verify_url, margin, qr_y, side)
    tx = margin + side + 4 * MM
    page.setFillColorRGB(0.11, 0.16, 0.14)
    page.setFont(bold, 9)
    page.drawString(tx, qr_y + side - 6 * MM, "Quét mã QR để xác minh phiếu")
    page.setFont(regular, 7.5)
    page.drawString(tx, qr_y + side - 10 * MM, "Scan the QR code to verify this slip")
    page.setFont(regular, 6)
    line = qr_y + side - 15 * MM
    url_w = width - margin - tx
    rest = verify_url
    while rest and line > qr_y:  # the address in full, broken where it no longer fits
        cut = len(rest)
        while cut > 1 and page.stringWidth(rest[:cut], regular, 6) > url_w:
            cut -= 1
        page.drawString(tx, line, rest[:cut])
        rest, line = rest[cut:], line - 2.8 * MM
    page.setFillColorRGB(0.36, 0.42, 0.39)
    page.setFont(regular, 6.5)
    issued = timezone.localtime(now or timezone.now()).strftime("%d/%m/%Y %H:%M")
    page.drawString(margin, margin, f"Cấp lúc {issued}. Kết quả đã được đính chính thì phiếu cũ hết hiệu lực.")
    page.drawString(margin, margin - 3 * MM, f"Issued {issued}. A corrected result makes earlier slips invalid.")
    page.showPage()
    page.save()
    return out.getvalue()
