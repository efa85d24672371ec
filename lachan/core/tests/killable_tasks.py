"""A task for the worker-kill test (test_workers.py), importable by a real worker process."""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def tell_then_hang(*, sample_ids: list[str], hang_file: str) -> int:
    """The lab results telling task's work; on its first run, then a hang, where the test kills the worker: the work
    committed, the task never marked done (the worst moment to lose a worker)."""
    from lachan.labs.tasks import results_tell_task

    told = results_tell_task.call(sample_ids=sample_ids, actor_id=None, detail={}, import_id=None, context={})
    hang = Path(hang_file)
    if not hang.exists():
        hang.write_text(str(os.getpid()))
        time.sleep(600)
    return told
