from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lachan.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        from .checks import TAG, tasks_backend_check
        from .policies import policy_rules_clear
        from .scheduler import autodiscover

        post_save.connect(policy_rules_clear, sender="core.Policy", dispatch_uid="lachan_policy_rules_save")
        post_delete.connect(policy_rules_clear, sender="core.Policy", dispatch_uid="lachan_policy_rules_delete")
        checks.register(tasks_backend_check, TAG)
        autodiscover()  # the periodic jobs of every app's scheduled.py
