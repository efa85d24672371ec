"""The outbox: every message the platform sends, stored before it is sent, and its templates."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will retry")
    DEAD = "dead", _("failed, no more retries")


class MessageTemplate(models.Model):
    """A text in Django template syntax. Edits make a new version, so a sent message can be explained."""

    code = models.CharField(_("code"), max_length=64)
    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    language = models.CharField(_("language"), max_length=5)
    version = models.PositiveIntegerField(_("version"), default=1)
    active = models.BooleanField(_("active"), default=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    # Secrets (one-time codes) are hidden from the outbox pages and removed once sent.
    sensitive = models.BooleanField(_("sensitive"), default=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "channel", "language", "version"], name="notifications_template_version"
            ),
            models.UniqueConstraint(
                fields=["code", "channel", "language"], condition=models.Q(active=True),
                name="notifications_template_one_active",
            ),
        ]
        ordering = ["code", "channel", "language", "-version"]

    def __str__(self) -> str:
        return f"{self.code} {self.channel}/{self.language} v{self.version}"


class Message(BaseModel):
    """One message to one address. Written in the caller's transaction, sent by a worker after commit."""

    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    to = models.CharField(_("recipient"), max_length=254)
    # No foreign key: notifications sits below people in the layers.
    person_id = models.UUIDField(_("person"), null=True, blank=True, db_index=True)
    template_code = models.CharField(_("template"), max_length=64)
    template_version = models.PositiveIntegerField(_("template version"), default=1)
    language = models.CharField(_("language"), max_length=5)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    context = models.JSONField(_("context"), default=dict, blank=True)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the sweep may (re)try it; while sending, when the claim expires.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        # uuid7 keys are time-ordered: newest first without an index on created_at.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notifications_msg_due"),
            models.Index(fields=["created_at"], name="notifications_msg_created"),
        ]

    def __str__(self) -> str:
        return f"{self.template_code} → {self.to} ({self.status})"

    @property
    def masked_to(self) -> str:
        return mask_address(self.to)


def mask_address(address: str) -> str:
    """0912345612 → 09******12; nguyen.an@example.com → ng*******@example.com."""
    if "@" in address:
        local, _sep, domain = address.partition("@")
        keep = local[:2]
        return f"{keep}{'*' * max(len(local) - len(keep), 1)}@{domain}"
    if len(address) <= 4:
        return "*" * len(address)
    return f"{address[:2]}{'*' * (len(address) - 4)}{address[-2:]}"
