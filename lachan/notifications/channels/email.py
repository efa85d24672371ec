import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid

from . import Channel, ChannelResult, PermanentFailure, TemporaryFailure


class SmtpEmailChannel(Channel):
    """E-mail through Django's configured backend (EMAIL_BACKEND, EMAIL_HOST…)."""

    def send(self, message) -> ChannelResult:
        msgid = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
        email = EmailMessage(
            subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to], headers={"Message-ID": msgid},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"recipient refused for now: {exc.recipients}") from exc
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(text) from exc
            raise PermanentFailure(text) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            # Disconnects, refused connections, DNS: the server may be back soon.
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        return ChannelResult(provider_id=msgid)
