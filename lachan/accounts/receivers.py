"""Log-ins, failed log-ins and log-outs go to the audit trail. Passwords never do. Saved users and
tokens clear the API token cache."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .audit import audit_record
from .authentication import tokens_cache_clear
from .models import ApiToken, AuditAction, User


@receiver(user_logged_in, dispatch_uid="lachan_audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditAction.LOGIN, object_type="user", object_id=user.pk)


@receiver(user_logged_out, dispatch_uid="lachan_audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT, object_type="user", object_id=user.pk)


@receiver(user_login_failed, dispatch_uid="lachan_audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; keep only the user name.
    username = str(credentials.get("username", ""))[:150]
    locked = bool(getattr(request, "axes_locked_out", False)) if request is not None else False
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="user",
                 detail={"username": username, "locked_out": locked})


@receiver(post_save, sender=User, dispatch_uid="lachan_tokens_cache_user")
@receiver(post_save, sender=ApiToken, dispatch_uid="lachan_tokens_cache_token")
def _tokens_cache_clear(sender, **kwargs):
    # A revoked token or a deactivated user stops working at once in this process (within seconds elsewhere).
    tokens_cache_clear()
    transaction.on_commit(tokens_cache_clear)  # a request between the save and the commit may have reloaded it
