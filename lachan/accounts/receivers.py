"""Log-ins, failed log-ins and log-outs go to the audit trail. Passwords never do."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .models import AuditAction


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
