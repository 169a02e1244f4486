"""jobs.queue.defer: a job runs once its transaction commits, never when it rolls back; on
PostgreSQL a worker runs it, on SQLite it runs inline."""

import logging
from pathlib import Path

import pytest
from django.db import connection, transaction

from jobs.queue import defer, uses_worker
from tests.jobs.tasks import note, note_later, notes

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="procrastinate's queue and worker exist on PostgreSQL only"
)
on_sqlite = pytest.mark.skipif(connection.vendor == "postgresql", reason="the inline mode is SQLite's")


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "notes.txt")


def test_a_job_deferred_in_a_committed_transaction_runs_once(run_jobs, path):
    with transaction.atomic():
        defer(note, path=path, word="hello")
    run_jobs()
    run_jobs()
    assert notes(path) == ["hello"]


def test_a_job_deferred_in_a_rolled_back_transaction_never_runs(run_jobs, path):
    with pytest.raises(RuntimeError), transaction.atomic():
        defer(note, path=path, word="hello")
        raise RuntimeError("the change fails")
    run_jobs()
    assert notes(path) == []


def test_a_job_does_not_run_before_its_transaction_commits(run_jobs, path):
    with transaction.atomic():
        defer(note, path=path, word="hello")
        run_jobs()  # a worker cannot see the job yet
        assert notes(path) == []
    run_jobs()
    assert notes(path) == ["hello"]


def test_jobs_run_in_the_order_they_were_deferred(run_jobs, path):
    with transaction.atomic():
        defer(note, path=path, word="first")
        defer(note, path=path, word="second")
    run_jobs()
    assert notes(path) == ["first", "second"]


def test_a_job_deferred_by_a_job_runs_once_that_job_commits(run_jobs, path):
    with transaction.atomic():
        defer(note_later, path=path, word="next")
    run_jobs()
    assert notes(path) == ["next"]


def test_a_job_deferred_by_a_job_that_fails_never_runs(run_jobs, path):
    with transaction.atomic():
        defer(note_later, path=path, word="next", fail=True)
    run_jobs()
    assert notes(path) == []


def test_a_task_is_still_a_plain_function(path):
    note(path=path, word="now")
    assert notes(path) == ["now"]


@on_postgresql
def test_on_postgresql_a_scheduled_job_waits_for_its_time(run_jobs, path):
    from procrastinate.contrib.django.models import ProcrastinateJob

    with transaction.atomic():
        defer(note, schedule_in_seconds=3600, path=path, word="later")
    run_jobs()
    assert notes(path) == []
    assert ProcrastinateJob.objects.get(task_name="tests.jobs.note").status == "todo"


@on_postgresql
def test_on_postgresql_the_job_is_stored_in_the_transaction_that_defers_it(db, path):
    from procrastinate.contrib.django.models import ProcrastinateJob

    assert uses_worker()
    with transaction.atomic():
        defer(note, path=path, word="hello")
        assert list(ProcrastinateJob.objects.values_list("task_name", "args", "status")) == [
            ("tests.jobs.note", {"path": path, "word": "hello"}, "todo")
        ]


@on_sqlite
def test_on_sqlite_a_scheduled_job_is_not_run_and_says_so(run_jobs, path, caplog):
    assert not uses_worker()
    with caplog.at_level(logging.INFO, logger="jobs.queue"), transaction.atomic():
        defer(note, schedule_in_seconds=60, path=path, word="later")
    assert notes(path) == []
    assert "Not scheduling tests.jobs.note in 60 s" in caplog.text


@on_sqlite
def test_on_sqlite_a_failing_job_is_logged_and_the_change_stands(run_jobs, path, caplog):
    with caplog.at_level(logging.ERROR), transaction.atomic():
        defer(note, path=str(Path(path) / "no" / "such" / "dir"), word="lost")
        defer(note, path=path, word="after")
    assert "Job tests.jobs.note failed" in caplog.text
    assert notes(path) == ["after"]


@on_sqlite
def test_on_sqlite_arguments_that_are_not_json_are_refused_as_on_postgresql(db, path):
    with pytest.raises(TypeError):
        defer(note, path=path, word=object())
