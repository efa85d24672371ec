"""Log-ins, failed log-ins and log-outs go to the audit trail. Passwords never do. Saved users and
tokens clear the API token cache; a new password or a deactivation revokes the account's API tokens."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

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


@receiver(post_save, sender=User, dispatch_uid="lachan_tokens_revoke_on_credentials")
def _tokens_revoke(sender, instance, created, **kwargs):
    """Whoever changed the password (the account's holder, an administrator, a command) or deactivated the
    account: the API tokens made before stop working. A session carries a hash of the password, so a new
    password logs every other session out; a deactivated account's sessions are deleted (else reactivating it
    would bring them back)."""
    # `_password` is set by set_password() until the save (not by the hash upgrade at log-in).
    password_changed = getattr(instance, "_password", None) is not None
    if created or not (password_changed or not instance.is_active):
        return
    if not instance.is_active:
        _sessions_delete(instance)
    revoked = ApiToken.objects.filter(user=instance, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit_record(actor=None, action=AuditAction.SECURITY, object_type="user", object_id=instance.pk,
                     detail={"change": "tokens_revoked", "tokens": revoked,
                             "reason": "password_changed" if password_changed else "deactivated"})


def _sessions_delete(user) -> None:
    """The database sessions of a user (deactivations are rare: reading the live sessions is affordable)."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return  # not kept in the database: the inactive user is refused at each request anyway
    model = store.get_model_class()
    doomed = [
        session.pk for session in model.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000)
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    model.objects.filter(pk__in=doomed).delete()
