"""The emails the key lifecycle sends to an account's owners and admins, naming a key by label and
hint, never the key. Sent by jobs (apikeys/tasks.py), so that a mail server's hiccup is retried
instead of failing the request or the run that decided to send them."""

from django.core.mail import send_mail


def email_expiry_reminder(api_key, days_left):
    _email_managers(
        api_key,
        subject=f"Pivra API key “{api_key.label}” expires in {days_left} day{'s' if days_left != 1 else ''}",
        message=(
            f"The API key “{api_key.label}” ({api_key.hint}) of {api_key.account.name} stops working on "
            f"{api_key.expires_at:%Y-%m-%d %H:%M} UTC.\n\nTo keep the integration that uses it running, "
            "open Settings → Security and click Roll beside the key: you get a new key with the same "
            "settings, and choose how long the old one keeps working while you switch."
        ),
    )


def email_exposed_key(api_key, where):
    _email_managers(
        api_key,
        subject=f"Pivra revoked an API key of {api_key.account.name}: it was found in public",
        message=(
            f"GitHub found the API key “{api_key.label}” ({api_key.hint}) in {where}, so Pivra "
            "revoked it: requests with it are refused from now on.\n\nCreate a new key in Settings → "
            "Security, update the integration that used it, and remove the key from where it was published."
        ),
    )


def _email_managers(api_key, *, subject, message):
    recipients = api_key.account.manager_emails()
    if recipients:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=recipients)
