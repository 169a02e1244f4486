"""Telling owners and admins that a key is about to expire: 7 days and 1 day before, once each.

Run by the periodic job in apikeys/tasks.py. Each reminder is claimed with one conditional UPDATE
before its email is sent, so two workers never send the same one; a key that comes due for both
at once (it was created to expire within a day) gets only the 1-day reminder.
"""

from datetime import timedelta

from django.core.mail import send_mail
from django.utils import timezone

from .models import ApiKey

REMINDERS = [  # the nearer first: its claim also settles the farther one
    ("reminded_1_day_at", timedelta(days=1), ["reminded_1_day_at", "reminded_7_days_at"]),
    ("reminded_7_days_at", timedelta(days=7), ["reminded_7_days_at"]),
]


def send_expiry_reminders(now=None):
    """Email the reminders that are due; return how many keys were reminded of."""
    now = now or timezone.now()
    sent = 0
    for field, ahead, settles in REMINDERS:
        due = ApiKey.objects.active().filter(
            rolled_at__isnull=True, expires_at__gt=now, expires_at__lte=now + ahead, **{f"{field}__isnull": True}
        ).select_related("account")
        for api_key in due:
            claimed = ApiKey.objects.filter(pk=api_key.pk, **{f"{field}__isnull": True}).update(
                **{name: now for name in settles}
            )
            if claimed:
                email_reminder(api_key, now)
                sent += 1
    return sent


def email_reminder(api_key, now):
    recipients = api_key.account.manager_emails()
    if not recipients:
        return
    days = max(1, round((api_key.expires_at - now) / timedelta(days=1)))
    when = f"{api_key.expires_at:%Y-%m-%d %H:%M} UTC"
    send_mail(
        subject=f"Pivra API key “{api_key.label}” expires in {days} day{'s' if days != 1 else ''}",
        message=(
            f"The API key “{api_key.label}” ({api_key.hint}) of {api_key.account.name} stops working on "
            f"{when}.\n\nTo keep the integration that uses it running, open Settings → Security and "
            "click Roll beside the key: you get a new key with the same settings, and choose how long "
            "the old one keeps working while you switch."
        ),
        from_email=None,
        recipient_list=recipients,
    )
