import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.geo.models import AdminUnit, Place

from .roles import ROLE_PERMISSIONS, Role


class User(AbstractUser):
    """A log-in. Staff are bound to exactly one jurisdiction; citizens log in with their phone number
    and are linked to their own Person (people.Person.account)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.CITIZEN)
    phone = models.CharField(_("phone"), max_length=10, blank=True, db_index=True)
    jurisdiction_unit = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("jurisdiction (administrative unit)"),
    )
    jurisdiction_place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("jurisdiction (laboratory, enterprise, checkpoint, venue)"),
    )
    language = models.CharField(_("language"), max_length=5, default="vi")

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(jurisdiction_unit__isnull=False) & models.Q(jurisdiction_place__isnull=False)),
                name="accounts_user_one_jurisdiction",
            )
        ]

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    def has_perm_code(self, perm: str) -> bool:
        if not self.is_active:
            return False
        return perm in ROLE_PERMISSIONS.get(self.role, frozenset())


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "lc_" + secrets.token_urlsafe(32)

    @property
    def is_valid(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditAction(models.TextChoices):
    READ = "read", _("read")
    LIST = "list", _("list")
    SEARCH = "search", _("search")
    EXPORT = "export", _("export")
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    MERGE = "merge", _("merge")
    IMPORT = "import", _("import")
    LOGIN = "login", _("log-in")
    LOGIN_FAILED = "login_failed", _("failed log-in")
    LOGOUT = "logout", _("log-out")
    SECURITY = "security", _("security setting")
    DENIED = "access.denied", _("refused (403/404)")


class AuditEvent(models.Model):
    """Who read or changed whose data, when and from where. Append-only; the subject is kept as a plain
    id so that the trail outlives merges and deletions."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    person_id = models.UUIDField(null=True, blank=True, db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_username", "at"], name="accounts_audit_actor_at"),
            # The refusals of the last hours (repeated ones are shown to the province and in the feed).
            models.Index(fields=["action", "at"], name="accounts_audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type} {self.object_id}"


class PhoneVerification(models.Model):
    """A pending citizen registration: the phone is proven by a code sent by SMS. Only a hash of the
    code and of the chosen password are kept; the account is created when the code is right."""

    phone = models.CharField(max_length=10, db_index=True)
    full_name = models.CharField(max_length=200)
    birth_date = models.DateField()
    password_hash = models.CharField(max_length=128)
    language = models.CharField(max_length=5, default="vi")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        indexes = [models.Index(fields=["phone", "created_at"], name="accounts_phonever_phone_at")]
