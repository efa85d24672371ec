"""The interface is Vietnamese by default and English on request; every message has a translation."""

import shutil
import subprocess
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parent.parent / "lachan" / "locale" / "vi" / "LC_MESSAGES"


@pytest.fixture
def vietnamese_default(settings):
    settings.LANGUAGE_CODE = "vi"


def test_vietnamese_is_the_default(client, db, vietnamese_default):
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="vi"' in page and "Đăng nhập" in page


def test_english_when_the_browser_asks_for_it(client, db, vietnamese_default):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_validation_messages_come_in_the_users_language(client, staff, vietnamese_default):
    client.force_login(staff.commune)
    response = client.post("/api/people/", {"full_name": "", "commune": "x"}, content_type="application/json")
    assert response.status_code in (400, 422)
    body = response.json()
    assert body["message"] and body["message"] != "Enter the full name."


def test_catalogue_is_complete_and_compiled():
    po = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if 'msgstr ""' in e and "\n\"" not in e.split('msgstr ""', 1)[1][:2] and "#~" not in e]
    assert not untranslated, untranslated[:3]
    assert "#, fuzzy" not in po


def test_compiled_catalogue_matches_its_source(tmp_path):
    """The committed .mo is what msgfmt makes of the .po (run `manage.py compilemessages -l vi`)."""
    msgfmt = shutil.which("msgfmt")
    if not msgfmt:
        pytest.skip("gettext's msgfmt is not installed")
    out = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(out), str(CATALOGUE / "django.po")], check=True)
    assert out.read_bytes() == (CATALOGUE / "django.mo").read_bytes()
