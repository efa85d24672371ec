"""Tasks declared beside their functions keep their old module paths as aliases (issue 13): django-tasks stores a
row's task as `module.qualname` and imports it to run it, so rows queued before a move must still find theirs."""

import pytest
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

# old path (named by rows queued before the move) → where the task is declared now
MOVED = {
    "lachan.notifications.tasks.send_message_task": "lachan.notifications.services.send_message_task",
    "lachan.notifications.tasks.send_messages_task": "lachan.notifications.services.send_messages_task",
    "lachan.people.tasks.find_duplicates_task": "lachan.people.duplicates.find_duplicates_task",
    "lachan.quarantine.tasks.orders_tell_task": "lachan.quarantine.monitoring.notify.orders_notify_task",
    "lachan.quarantine.monitoring.orders_tell_task": "lachan.quarantine.monitoring.notify.orders_notify_task",
    "lachan.labs.tasks.results_tell_task": "lachan.labs.results.release.results_notify_task",
}
QUEUES = {"notifications": "notifications", "people": "default", "quarantine": "default", "labs": "default"}


@pytest.mark.parametrize(("old", "new"), MOVED.items())
def test_a_row_naming_the_old_path_finds_the_task(old, new):
    task = DBTaskResult(task_path=old, backend_name="default", queue_name=QUEUES[old.split(".")[1]]).task
    assert isinstance(task, Task) and task.module_path == new
