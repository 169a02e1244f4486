"""Two-factor authentication (SPEC: "two-factor"), by django-otp: a TOTP authenticator app, and
10 recovery codes that work once each (a static device).

Enrolment makes an unconfirmed TOTP device; the first right code confirms it and creates the
recovery codes, which are shown once, in that POST's response, and stored by django-otp only for
matching. Logging in with a confirmed device is two steps: the password puts the user's id in
the session as *pending* (not logged in), and the right code within PENDING_FOR logs them in.
Wrong codes count toward the login throttling of that email and address (accounts.throttling),
on top of django-otp's own growing delay per device, so 6-digit codes cannot be walked through.

An owner may require two-factor authentication for the account: then a member without a device
is sent to set one up before any other page (RequireTwoFactorMiddleware).
"""

from datetime import timedelta

import segno
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .context import current_membership

RECOVERY_CODES = 10
PENDING_SESSION_KEY = "pivra_2fa_pending"
PENDING_FOR = timedelta(minutes=10)
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def is_on(user):
    return user_has_device(user, confirmed=True)


def unconfirmed_app_device(user):
    """The device being set up: the same one (and secret) until it is confirmed, so reloading the
    page does not change the QR code under someone scanning it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def qr_code_data_uri(device):
    """The otpauth:// URL as an SVG QR code in a data: URI, drawn here (segno): the secret never
    goes to an outside service, and the CSP allows data: images only."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def spaced_secret(device):
    """The base32 secret in groups of four, for typing into an app that cannot scan."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm(device, code):
    """Confirms `device` if `code` is right: returns the new recovery codes (shown once), or None."""
    if not device.verify_token(clean(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=device.user).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        recovery = StaticDevice.objects.create(user=device.user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def check_code(request, user, code):
    """The matching device if `code` is a right TOTP code or an unused recovery code (which is
    then used up); None otherwise, counted as a failed login of that email from that address."""
    device = match_token(user, clean(code))
    if device is None:
        user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
    return device


def turn_off(user):
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def clean(code):
    """Codes as people type them: spaces and dashes dropped, recovery codes in any case."""
    return "".join((code or "").split()).replace("-", "").lower()[:32]


# The login's second step


def start_pending_login(request, user, redirect_to):
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "user": str(user.pk), "backend": user.backend, "at": timezone.now().timestamp(), "next": redirect_to,
    }


def pending_login(request):
    """(user_pk, backend, next) of a login waiting for its code, or None (none, or too old)."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or timezone.now().timestamp() - pending.get("at", 0) > PENDING_FOR.total_seconds():
        return None
    return pending


def end_pending_login(request):
    request.session.pop(PENDING_SESSION_KEY, None)


# Required for the whole account

EXEMPT_PREFIXES = ("/api/", "/widget/", "/static/", "/healthz", "/readyz", "/metrics", "/accounts/logout/", "/accounts/two-factor/")


class RequireTwoFactorMiddleware:
    """Members of an account that requires two-factor authentication, without a device of their
    own, get the set-up page instead of any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The path first: an API or widget request never loads a session or a membership here.
        if not request.path.startswith(EXEMPT_PREFIXES) and request.user.is_authenticated:
            membership = current_membership(request)
            if membership is not None and membership.account.require_two_factor and not is_on(request.user):
                return redirect(reverse("two_factor") + "?required=1")
        return self.get_response(request)
