"""Sessions: at most 12 hours from login; the cookie is __Host- prefixed whenever it is Secure."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def logged_in_client():
    client = Client()
    assert client.post("/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}).status_code == 302
    return client


def test_the_session_cookie_lasts_12_hours(alice):
    client = logged_in_client()
    assert 12 * 60 * 60 - 5 <= int(client.cookies["sessionid"]["max-age"]) <= 12 * 60 * 60


def test_a_login_ends_12_hours_after_it_was_made_even_if_used_all_along(alice):
    client = logged_in_client()
    start = timezone.now()
    for hours in (4, 8, 11.9):  # the session is saved along the way (a confirmed password)
        with mock.patch("django.utils.timezone.now", return_value=start + timedelta(hours=hours)):
            assert client.get("/settings/security/").status_code == 200
            client.post("/settings/security/", {"label": f"Key {hours}", "confirm_password": PASSWORD})
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(hours=12, minutes=1)):
        response = client.get("/settings/security/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logging_in_gives_a_new_session_id(alice):
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"username": "alice@example.com", "password": PASSWORD})
    assert client.session.session_key != before
    assert SESSION_KEY in client.session


def cookie_settings(**env):
    """The cookie settings production derives from `env`, read in a fresh interpreter."""
    environment = {**os.environ, "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "pivra.settings", **env}
    environment.pop("DATABASE_URL", None)
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_PATH, s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_DOMAIN)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    return done.stdout.split()


def test_secure_cookies_are_host_prefixed_for_the_whole_site_and_no_domain():
    assert cookie_settings(SESSION_COOKIE_SECURE="true", CSRF_COOKIE_SECURE="true") == ["__Host-sessionid", "__Host-csrftoken", "/", "None", "None"]


def test_cookies_that_are_not_secure_keep_their_plain_names():
    names = cookie_settings(SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
    assert names[:2] == ["sessionid", "csrftoken"]
