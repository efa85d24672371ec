"""A web worker builds the URLconf when it starts, not in the first request it answers (issue 12, item 22: the
first log-in after a start waited 1–2 s for the API's schemas)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_wsgi_application_is_ready_when_loaded():
    code = (
        "import lachan.wsgi\n"
        "from django.urls import get_resolver\n"
        "resolver = get_resolver()\n"
        "assert 'url_patterns' in resolver.__dict__, 'URLconf not loaded'\n"
        "assert resolver._populated, 'resolver not filled'\n"
        "import sys; assert 'lachan.api.root' in sys.modules\n"
        "print('ready')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "lachan.settings", "DEBUG": "0",
                               "LACHAN_ALLOW_DEV_SECRET": "1", "LACHAN_TESTING": "1"})
    assert done.returncode == 0 and "ready" in done.stdout, done.stderr[-2000:]
