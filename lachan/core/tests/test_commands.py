"""`serve` and `worker` as real processes on a throw-away SQLite database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def _wait(predicate, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def embedded(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="1", LACHAN_EMBEDDED="1", LACHAN_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
    return env


def _shell(env, code: str) -> str:
    out = subprocess.run([sys.executable, MANAGE, "shell", "-c", code], env=env, check=True, timeout=60,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def test_serve_runs_the_web_app_and_a_worker_and_stops_both(embedded, tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+")
    serve = subprocess.Popen([sys.executable, MANAGE, "serve", "--port", str(port)], env=embedded,
                             stdout=log, stderr=subprocess.STDOUT)
    worker_pid = None
    try:
        url = f"http://127.0.0.1:{port}/"
        assert _wait(lambda: f"running on {url}" in (tmp_path / "serve.log").read_text()), (tmp_path / "serve.log").read_text()
        with urllib.request.urlopen(url + "accounts/login/", timeout=10) as response:
            assert response.status == 200

        message_id = _shell(embedded, (
            "from lachan.notifications.services import notification_queue as q;"
            "print(q(template='test.hello', channel='sms', to='0912345678', context={'name': 'An'}).id)"
        ))
        status = f"from lachan.notifications.models import Message as M; print(M.objects.get(id='{message_id}').status)"
        assert _wait(lambda: _shell(embedded, status) == "sent", timeout=30), (tmp_path / "serve.log").read_text()

        worker_pid = _worker_pid(serve.pid)
        assert _alive(worker_pid)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    assert worker_pid and _wait(lambda: not _alive(worker_pid), timeout=20)
    text = (tmp_path / "serve.log").read_text()
    assert "Scheduler: ticking every 30 s" in text
    assert "La Chan: tin nhan thu. Xin chao An!" in text  # the log channel "sent" it


def _worker_pid(parent: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"worker" in cmd and b"--parent-pid" in cmd and str(parent).encode() in cmd:
                return int(entry.name)
    raise AssertionError("no worker child found")


def test_serve_refuses_bad_arguments():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("serve", port=0, no_worker=True)
    with pytest.raises(CommandError):
        call_command("serve", port=8000, threads=0, no_worker=True)
    with pytest.raises(CommandError):
        call_command("serve", port=8000, workers=0, no_worker=True)


def test_serve_with_granian_answers_pages_and_the_api_and_stops(embedded, tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+")
    serve = subprocess.Popen([sys.executable, MANAGE, "serve", "--port", str(port), "--server", "granian",
                              "--workers", "1", "--threads", "1", "--no-worker"], env=embedded, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"

        def answers():
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                with urllib.request.urlopen(url + "accounts/login/", timeout=5) as response:
                    return response.status == 200 and "csrfmiddlewaretoken" in response.read().decode()
            except OSError:
                return False

        assert _wait(answers, timeout=60), (tmp_path / "serve.log").read_text()
        request = urllib.request.Request(url + "api/venues/checkins", data=b'{"qr": "x"}', method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": "Bearer nope"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("an unknown token was accepted")
        except urllib.error.HTTPError as exc:  # the fast path hands it to Django, which refuses it as always
            assert exc.code == 403 and "detail" in exc.read().decode()
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
    assert f"running on {url}" in (tmp_path / "serve.log").read_text()
