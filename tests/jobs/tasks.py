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
