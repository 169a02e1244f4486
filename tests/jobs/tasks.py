"""A task for the job tests: it appends a word to a file, so a test sees whether, and how many
times, it ran, from any thread or process."""

from pathlib import Path

from procrastinate.contrib.django import app


@app.task(queue="tests", name="tests.jobs.note")
def note(path, word):
    with Path(path).open("a") as file:
        file.write(word + "\n")


def notes(path):
    return Path(path).read_text().splitlines() if Path(path).exists() else []


@app.task(queue="tests", name="tests.jobs.note_later")
def note_later(path, word, fail=False):
    """A job that defers another in its own transaction, then fails if asked to."""
    from django.db import transaction

    from jobs.queue import defer

    with transaction.atomic():
        defer(note, path=path, word=word)
        if fail:
            raise RuntimeError("the job fails after deferring")
