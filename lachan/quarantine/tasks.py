"""Background tasks of the quarantine module: thin, the work is in services."""

from django.db import transaction
from django_tasks import task


@task()
def orders_tell_task(*, order_ids: list[str], actor_id: int | None, base_url: str = "") -> int:
    """Tell the people of a bulk creation's orders (lachan.quarantine.monitoring.orders_tell_new)."""
    from lachan.accounts.actors import system_actor
    from lachan.accounts.models import User

    from .monitoring import orders_tell

    with transaction.atomic():
        actor = (User.objects.filter(pk=actor_id).first() if actor_id else None) or system_actor("quarantine.orders_tell")
        told = 0
        for start in range(0, len(order_ids), 100):
            told += orders_tell(order_ids=order_ids[start:start + 100], by=actor, base_url=base_url)
        return told
