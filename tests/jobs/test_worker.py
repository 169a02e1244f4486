"""`manage.py procrastinate worker`, the real process: killed with `kill -9` in the middle of a
job, it loses nothing; the next worker runs the job again, and the source ends `ready` once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sources.services import create_source
from tests.sources import ServerPool, page

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="procrastinate's worker runs on PostgreSQL only (SQLite runs jobs inline)"
)

HTML = "<html><head><title>Returns</title></head><body><p>Unused items can be returned within 30 days.</p></body></html>"


def hang_the_first_time(handler):
    """The first request never gets an answer (its worker is killed meanwhile); later ones do."""
    if len(handler.server.requests) == 1:
        handler.server.released.wait(30)
    else:
        page(HTML)(handler)


def eventually(condition, *, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def start_worker(run_jobs, tmp_path):
    """Starts `manage.py procrastinate worker` processes on the test database (committed rows:
    `run_jobs` makes the test transactional), taken for dead after 2 s without a heartbeat and
    checking for dead ones every second.
    Stops the ones still running at the end; their output is in the test's tmp_path."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SOURCE_FETCH_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "JOBS_STALLED_AFTER_SECONDS": "2",
        "JOBS_STALLED_CHECK_CRON": "* * * * * *",  # every second
    }
    workers = []

    def start():
        with (tmp_path / f"worker-{len(workers) + 1}.log").open("w") as log:
            workers.append(subprocess.Popen(
                [sys.executable, "manage.py", "procrastinate", "worker"],
                cwd=Path(settings.BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
        return workers[-1]

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def test_a_job_whose_worker_is_killed_mid_job_is_run_again_by_another_worker_once(start_worker, account, chatbot):
    from procrastinate.contrib.django.models import ProcrastinateJob

    with ServerPool() as pool:
        site = pool.start({"/returns": hang_the_first_time})
        source = create_source(account=account, chatbot=chatbot, type="url", url=site.url("/returns"))

        first = start_worker()
        eventually(lambda: len(site.requests) == 1, seconds=15, what="the first worker to fetch the page")
        source.refresh_from_db()
        assert source.status == "processing"
        first.send_signal(signal.SIGKILL)
        first.wait()

        second = start_worker()
        job = ProcrastinateJob.objects.filter(task_name="sources.fetch_source")
        eventually(lambda: job.get().status not in ("todo", "doing"), seconds=20,
                   what="the second worker to run the stalled job again")
        assert job.get().status == "succeeded"
        source.refresh_from_db()
        assert (source.status, source.title) == ("ready", "Returns"), source.error
        assert "Unused items can be returned within 30 days." in source.content
        assert len(site.requests) == 2  # the killed fetch, and the one run again: no more
        assert second.poll() is None  # still serving
