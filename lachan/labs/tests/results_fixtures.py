"""Test data for results: a laboratory with its staff, another laboratory, people in two communes and a
helper that registers collected samples straight with the ORM (independent of the sampling services).
Import the fixtures into a test module: `from lachan.labs.tests.results_fixtures import lab_world  # noqa: F401`."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.labs.models import Campaign, Laboratory, Sample, SamplingSite, Swab, TestType
from lachan.people.models import Household, Person

__all__ = ["csv_bytes", "hours_ago", "lab_world", "make_sample", "to_cp1258", "xlsx_bytes"]


def make_sample(code, people, *, lab=None, pooled=None, test_type=TestType.RT_PCR, collected_at=None,
                campaign=None, status="collected", round=1):
    """A collected sample with one swab per person (pooled when more than one, unless told)."""
    pooled = len(people) > 1 if pooled is None else pooled
    sample = Sample.objects.create(
        code=code, pooled=pooled, test_type=test_type, campaign=campaign, laboratory=lab, status=status, round=round,
        collected_at=collected_at or timezone.now() - timedelta(hours=20))
    for position, person in enumerate(people, start=1):
        Swab.objects.create(sample=sample, person=person, campaign=campaign, round=round, pooled=pooled,
                            position=position)
    return sample


def csv_bytes(rows, *, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    text = out.getvalue()
    if encoding == "cp1258":
        return to_cp1258(text)
    return text.encode(encoding)


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Text as Vietnamese Windows saves it: precomposed letters with the tone as a combining mark."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        tones = "".join(c for c in parts if c in _TONES)
        out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def xlsx_bytes(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def lab_world(units, staff, make_user):
    """Pasteur laboratory (with a staff account), another laboratory, a screening campaign in Mỹ Tho and
    people: a household in the first commune, others in the second commune and in the other district."""
    lab_place = Place.objects.create(kind=PlaceKind.LABORATORY, name="CDC Tiền Giang", commune=units.commune)
    other_place = Place.objects.create(kind=PlaceKind.LABORATORY, name="BV Đa khoa", commune=units.commune2)
    lab = Laboratory.objects.create(place=lab_place)
    other_lab = Laboratory.objects.create(place=other_place)
    campaign = Campaign.objects.create(name="Sàng lọc Mỹ Tho", kind="screening", unit=units.district,
                                       starts_on=timezone.localdate() - timedelta(days=3), laboratory=lab, pool_size=5)
    site = SamplingSite.objects.create(campaign=campaign, name="Trạm y tế", commune=units.commune)
    home = Household.objects.create(commune=units.commune, address_line="12 Ấp Bắc")

    def person(name, commune=units.commune, phone="", household=None):
        return Person.objects.create(full_name=name, commune=commune, phone=phone, household=household)

    people = [person(f"Người {i}", units.commune if i < 6 else units.commune2, phone=f"09123450{i:02d}")
              for i in range(12)]
    return SimpleNamespace(
        units=units, staff=staff, lab=lab, other_lab=other_lab, campaign=campaign, site=site, home=home,
        lab_user=make_user(Role.LAB_STAFF, place=lab_place, username="labtech"),
        other_lab_user=make_user(Role.LAB_STAFF, place=other_place, username="othertech"),
        people=people,
        an=person("Nguyễn Văn An", phone="0912345678", household=home),
        wife=person("Trần Thị Bình", phone="0912345679", household=home),
        far=person("Võ Văn Em", commune=units.other_commune, phone="0912345682"),
        make_sample=make_sample, person=person,
    )


def hours_ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)
