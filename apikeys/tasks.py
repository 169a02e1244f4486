"""The key lifecycle's background job (jobs/queue.py): expiry reminders, checked every quarter of
an hour by the workers' periodic deferrer (PostgreSQL; the database defers each tick once)."""

from procrastinate.contrib.django import app

from .reminders import send_expiry_reminders


@app.periodic(cron="*/15 * * * *")
@app.task(queue="apikeys", name="apikeys.send_expiry_reminders", queueing_lock="apikeys.send_expiry_reminders")
def send_key_expiry_reminders(timestamp):
    return send_expiry_reminders()
