from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lachan.accounts"
    label = "accounts"

    def ready(self):
        from lachan.core.scheduler import periodic

        from . import (
            receivers,  # noqa: F401
            services,
        )

        periodic("accounts.prune_phone_verifications", every="daily", at="02:30")(services.phone_verifications_prune)
