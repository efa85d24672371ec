"""Without SECRET_KEY, a development or demo set-up signs with a random key of its own, kept in var/."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lachan.settings import BASE_DIR, local_secret_key

READ_KEY = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'lachan.settings'); " \
           "django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"


def _settings_key(var_dir: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "LACHAN_TESTING", "DEBUG")}
    clean.update({"LACHAN_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{var_dir}/db.sqlite3", **env})
    return subprocess.run([sys.executable, "-c", READ_KEY], cwd=BASE_DIR, env=clean, capture_output=True, text=True)


def test_a_demo_makes_its_key_once_and_keeps_it(tmp_path):
    first = _settings_key(tmp_path, DEBUG="1")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and "dev-only" not in key
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert _settings_key(tmp_path, DEBUG="1").stdout.strip() == key  # the same at the next start
    assert _settings_key(tmp_path / "other", DEBUG="1").stdout.strip() != key  # another demo, another key


def test_production_needs_a_key_and_the_environment_wins(tmp_path):
    refused = _settings_key(tmp_path, DEBUG="0")
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
    given = _settings_key(tmp_path, DEBUG="1", SECRET_KEY="x" * 60)
    assert given.stdout.strip() == "x" * 60


def test_a_damaged_key_file_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("short")
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        local_secret_key(tmp_path / "secret_key")
