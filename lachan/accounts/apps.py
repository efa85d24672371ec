from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lachan.accounts"
    label = "accounts"

    def ready(self):
        from lachan.core import auditing
        from lachan.core.scheduler import periodic

        from . import (
            receivers,  # noqa: F401
            services,
        )
        from .audit import audit_read

        auditing.install(audit_read)

        periodic("accounts.prune_phone_verifications", every="daily", at="02:30")(services.phone_verifications_prune)
