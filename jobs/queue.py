"""Background jobs: run a task once the change that causes it has committed.

On PostgreSQL, procrastinate (`procrastinate.contrib.django`) stores the job in the same
transaction as the change, so a committed change always gets its job and a rolled-back one never
does. `python manage.py procrastinate worker` runs the jobs, retries them as their task says, and
retries the jobs of a worker that died mid-job (`jobs/tasks.py`).

procrastinate's schema is PostgreSQL's, so on SQLite (the embedded default) its Django app is not
installed (`pivra/settings.py`) and `defer` runs the task function itself, inline, right after the
transaction commits, in the process that made the change: no worker, no retries, no schedule.

Tasks are declared the same way on both, in each app's `tasks.py`::

    from procrastinate.contrib.django import app

    @app.task(queue="sources", name="sources.fetch_source")
    def fetch_source(source_id): ...

Without procrastinate's Django app, `app` stays the blueprint that records tasks until that app
is ready, so declaring them costs nothing; a task stays callable as a plain function.
"""

import json
import logging
from functools import partial

from django.apps import apps
from django.db import transaction
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.manager import JobManager

logger = logging.getLogger(__name__)


def uses_worker():
    """Whether jobs go to procrastinate's queue for a worker (PostgreSQL) or run inline (SQLite)."""
    return apps.is_installed("procrastinate.contrib.django")


def defer(task, *, schedule_in_seconds=None, **kwargs):
    """Run `task(**kwargs)` in the background once the current transaction commits (deferred in
    the same transaction on PostgreSQL: a rollback drops it). On SQLite: run inline after commit;
    a scheduled one (a retry) is not run inline (logged at INFO)."""
    if uses_worker():
        options = {"schedule_in": {"seconds": schedule_in_seconds}} if schedule_in_seconds else {}
        job = task.configure(task_kwargs=kwargs, **options).job
        # Through this thread's Django connection, hence its transaction, always: a worker runs
        # with procrastinate's app on a connection pool of its own, on which a job deferred by a
        # job (a retry, a follow-up) would commit at once, whatever became of the job's changes.
        JobManager(DjangoConnector()).defer_job(job)
    elif schedule_in_seconds:
        logger.info("Not scheduling %s in %s s: jobs run inline on SQLite, without a schedule", task.name, schedule_in_seconds)
    else:
        # The arguments make the round trip through JSON that a worker's make, so what would fail
        # on PostgreSQL fails here too.
        transaction.on_commit(partial(_run_inline, task, json.loads(json.dumps(kwargs))))


def _run_inline(task, kwargs):
    # The change has committed: a failing job is logged, as a worker would, not raised into the
    # request that made the change.
    try:
        task(**kwargs)
    except Exception:
        logger.exception("Job %s failed (run inline after its transaction committed)", task.name)
