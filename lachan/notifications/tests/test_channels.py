import json
import smtplib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core import mail

from lachan.notifications.channels import PermanentFailure, TemporaryFailure, channel_for
from lachan.notifications.channels.email import SmtpEmailChannel
from lachan.notifications.channels.sms import HttpSmsChannel


def sms(**kw):
    return SimpleNamespace(id="m1", to=kw.get("to", "0912345678"), subject="", body=kw.get("body", "La Chan: xin chao"))


@pytest.fixture
def gateway(settings):
    """A tiny SMS gateway on 127.0.0.1 (random port): answers with the status set in `state.status`."""
    state = SimpleNamespace(status=200, requests=[], body=b'{"id": "gw-42"}')

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append({
                "path": self.path, "auth": self.headers.get("Authorization"),
                "type": self.headers.get("Content-Type"), "json": json.loads(self.rfile.read(length)),
            })
            body = state.body if state.status == 200 else b'{"error": "nope"}'
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LACHAN_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.LACHAN_SMS_GATEWAY_TOKEN = "secret-token"
    settings.LACHAN_SMS_SENDER = "LACHAN"
    yield state
    server.shutdown()
    server.server_close()


def test_http_sms_sent(gateway):
    result = HttpSmsChannel(name="sms").send(sms())
    assert result.provider_id == "gw-42"
    assert gateway.requests == [{
        "path": "/send", "auth": "Bearer secret-token", "type": "application/json",
        "json": {"to": "0912345678", "text": "La Chan: xin chao", "sender": "LACHAN"},
    }]


def test_http_sms_answer_without_id(gateway):
    gateway.body = b"OK"
    assert HttpSmsChannel(name="sms").send(sms()).provider_id == ""


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_http_sms_server_errors_are_temporary(gateway, status):
    gateway.status = status
    with pytest.raises(TemporaryFailure, match=str(status)):
        HttpSmsChannel(name="sms").send(sms())


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_http_sms_client_errors_are_permanent(gateway, status):
    gateway.status = status
    with pytest.raises(PermanentFailure, match=str(status)):
        HttpSmsChannel(name="sms").send(sms())


def test_http_sms_unreachable_is_temporary(settings):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.LACHAN_SMS_GATEWAY_URL = f"http://127.0.0.1:{port}/send"
    with pytest.raises(TemporaryFailure, match="unreachable"):
        HttpSmsChannel(name="sms").send(sms())


def test_http_sms_timeout_is_temporary(gateway, monkeypatch):
    import lachan.notifications.channels.sms as sms_module

    monkeypatch.setattr(sms_module, "TIMEOUT_SECONDS", 0.2)
    release = threading.Event()
    original = gateway.requests.append
    gateway.requests = SimpleNamespace(append=lambda item: (release.wait(2), original(item)))
    try:
        with pytest.raises(TemporaryFailure):
            HttpSmsChannel(name="sms").send(sms())
    finally:
        release.set()


def test_http_sms_without_url_is_permanent(settings):
    settings.LACHAN_SMS_GATEWAY_URL = ""
    with pytest.raises(PermanentFailure, match="not configured"):
        HttpSmsChannel(name="sms").send(sms())


def test_smtp_channel_with_locmem_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "la-chan@tiengiang.gov.vn"
    message = SimpleNamespace(id="m2", to="an@example.vn", subject="Lá Chắn: thư thử", body="Xin chào An")
    result = SmtpEmailChannel(name="email").send(message)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body, sent.from_email) == (
        ["an@example.vn"], "Lá Chắn: thư thử", "Xin chào An", "la-chan@tiengiang.gov.vn"
    )
    assert result.provider_id == sent.extra_headers["Message-ID"]
    assert result.provider_id.endswith("@tiengiang.gov.vn>")


@pytest.mark.parametrize(
    "exc, kind",
    [
        (smtplib.SMTPRecipientsRefused({"an@example.vn": (550, b"no such user")}), PermanentFailure),
        (smtplib.SMTPRecipientsRefused({"an@example.vn": (451, b"try later")}), TemporaryFailure),
        (smtplib.SMTPDataError(554, b"rejected"), PermanentFailure),
        (smtplib.SMTPDataError(421, b"busy"), TemporaryFailure),
        (smtplib.SMTPServerDisconnected("gone"), TemporaryFailure),
        (ConnectionRefusedError("refused"), TemporaryFailure),
    ],
)
def test_smtp_errors_are_classified(monkeypatch, exc, kind):
    from django.core.mail import EmailMessage

    def boom(self, fail_silently=False):
        raise exc

    monkeypatch.setattr(EmailMessage, "send", boom)
    message = SimpleNamespace(id="m3", to="an@example.vn", subject="s", body="b")
    with pytest.raises(kind):
        SmtpEmailChannel(name="email").send(message)


def test_channel_for_reads_settings(settings):
    settings.LACHAN_NOTIFICATION_CHANNELS = {
        "sms": "lachan.notifications.channels.sms.HttpSmsChannel",
        "email": "lachan.notifications.channels.email.SmtpEmailChannel",
    }
    assert isinstance(channel_for("sms"), HttpSmsChannel)
    assert channel_for("email").name == "email"
    with pytest.raises(KeyError):
        channel_for("voice")


def test_default_channels_only_log(settings):
    from lachan.notifications.channels.log import LogChannel

    assert isinstance(channel_for("sms"), LogChannel)
    assert isinstance(channel_for("email"), LogChannel)
