from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone


@receiver(user_logged_in)
def end_the_session_12_hours_after_login(sender, request, user, **kwargs):
    """A login lasts SESSION_COOKIE_AGE (12 hours) from the moment it was made. A fixed expiry
    date, because Django's default pushes the end back every time the session is saved."""
    if request is not None and hasattr(request, "session"):
        request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
