"""The key lifecycle's background jobs (jobs/queue.py): expiry reminders, checked every quarter of
an hour by the workers' periodic deferrer (PostgreSQL; the database defers each tick once), and
the emails to owners and admins, each its own job so that a failed send is retried.

Each reminder is claimed with one conditional UPDATE, in the transaction that defers its email,
so it is sent once however many workers run; a key that comes due for both reminders at once (it
was created to expire within a day) gets only the 1-day one.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from jobs.queue import defer

from . import notices
from .models import ApiKey

# A mail server that is down for a while: try again over about a quarter of an hour.
EMAIL_RETRY = RetryStrategy(max_attempts=5, linear_wait=60)

REMINDERS = [  # the nearer first: its claim also settles the farther one
    ("reminded_1_day_at", timedelta(days=1), ["reminded_1_day_at", "reminded_7_days_at"]),
    ("reminded_7_days_at", timedelta(days=7), ["reminded_7_days_at"]),
]


@app.periodic(cron="*/15 * * * *")
@app.task(queue="apikeys", name="apikeys.send_expiry_reminders", queueing_lock="apikeys.send_expiry_reminders")
def send_key_expiry_reminders(timestamp):
    return send_expiry_reminders()


def send_expiry_reminders(now=None):
    """Queue the reminders that are due; return how many keys will be reminded of."""
    now = now or timezone.now()
    sent = 0
    for field, ahead, settles in REMINDERS:
        due = ApiKey.objects.active().filter(
            rolled_at__isnull=True, expires_at__gt=now, expires_at__lte=now + ahead, **{f"{field}__isnull": True}
        )
        for key_id, expires_at in due.values_list("pk", "expires_at"):
            with transaction.atomic():
                claimed = ApiKey.objects.filter(pk=key_id, **{f"{field}__isnull": True}).update(
                    **{name: now for name in settles}
                )
                if claimed:
                    days_left = max(1, round((expires_at - now) / timedelta(days=1)))
                    defer(email_expiry_reminder, key_id=key_id, days_left=days_left)
                    sent += 1
    return sent


@app.task(queue="apikeys", name="apikeys.email_expiry_reminder", retry=EMAIL_RETRY)
def email_expiry_reminder(key_id, days_left):
    notices.email_expiry_reminder(ApiKey.objects.select_related("account").get(pk=key_id), days_left)


@app.task(queue="apikeys", name="apikeys.email_exposed_key", retry=EMAIL_RETRY)
def email_exposed_key(key_id, where):
    notices.email_exposed_key(ApiKey.objects.select_related("account").get(pk=key_id), where)
