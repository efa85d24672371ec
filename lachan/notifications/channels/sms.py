import json
import urllib.error
import urllib.request

from django.conf import settings

from . import Channel, ChannelResult, PermanentFailure, TemporaryFailure

TIMEOUT_SECONDS = 10


class HttpSmsChannel(Channel):
    """SMS through an HTTP gateway: POST {to, text, sender} as JSON with a bearer token.

    5xx, 429, time-outs and network errors are temporary; other 4xx are permanent. The gateway's
    message id is read from the JSON answer ("id" or "message_id") when there is one.
    """

    def send(self, message) -> ChannelResult:
        url = getattr(settings, "LACHAN_SMS_GATEWAY_URL", "")
        if not url:
            raise PermanentFailure("LACHAN_SMS_GATEWAY_URL is not configured")
        payload = json.dumps(
            {"to": message.to, "text": message.body, "sender": settings.LACHAN_SMS_SENDER}
        ).encode()
        request = urllib.request.Request(url, data=payload, method="POST", headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {settings.LACHAN_SMS_GATEWAY_TOKEN}",
        })
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            text = f"gateway HTTP {exc.code}: {detail}".strip()
            if exc.code >= 500 or exc.code in (408, 429):
                raise TemporaryFailure(text) from exc
            raise PermanentFailure(text) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TemporaryFailure(f"gateway unreachable: {getattr(exc, 'reason', exc)}") from exc
        provider_id = ""
        try:
            data = json.loads(raw or b"{}")
            if isinstance(data, dict):
                provider_id = str(data.get("id") or data.get("message_id") or "")
        except ValueError:
            pass
        return ChannelResult(provider_id=provider_id[:200])
