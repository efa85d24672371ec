from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lachan.accounts"
    label = "accounts"

    def ready(self):
        from . import receivers  # noqa: F401
