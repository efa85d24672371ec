from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lachan.accounts"
    label = "accounts"

    def ready(self):
        from lachan.core import auditing

        from . import receivers  # noqa: F401
        from .audit import audit_read

        auditing.install(audit_read)
