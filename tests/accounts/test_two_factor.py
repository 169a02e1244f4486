"""Two-factor authentication (django-otp): enrolment with a QR code drawn by the app, login with a
code and with a recovery code (each code computed here from the device's key), turning it off,
and an owner requiring it for the whole account."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Account
from tests.conftest import PASSWORD

SETUP_URL = "/accounts/two-factor/"
LOGIN_URL = "/accounts/login/"
CODE_URL = "/accounts/login/code/"


def code_for(device, steps_ahead=0):
    """The code an authenticator app shows for `device`, `steps_ahead` 30-second steps from now
    (django-otp accepts one step either side, and each step's code only once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def logged_in(user, address="127.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def enrol(client, user):
    """Sets up two-factor authentication for `user` as the page does: returns the recovery codes."""
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP_URL, {"code": code_for(device)})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())


@pytest.fixture
def alice_with_2fa(alice):
    codes = enrol(logged_in(alice), alice)
    return alice, TOTPDevice.objects.get(user=alice, confirmed=True), codes


def password_step(client, email="alice@example.com", password=PASSWORD):
    return client.post(LOGIN_URL, {"username": email, "password": password})


# Enrolment

def test_the_security_page_offers_to_set_it_up(alice):
    page = logged_in(alice).get("/settings/security/").content.decode()
    assert f'href="{SETUP_URL}">Set up two-factor authentication</a>' in page


def test_the_set_up_page_shows_a_qr_code_drawn_by_the_app_and_the_secret(alice):
    response = logged_in(alice).get(SETUP_URL)
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    [src] = re.findall(r'<img class="qr-code" src="([^"]+)"', page)
    assert src.startswith("data:image/svg+xml;charset=utf-8,%3Csvg")
    from base64 import b32encode

    assert b32encode(device.bin_key).decode()[:4] in page
    assert ">Code</label>" in page and ">Verify</button>" in page
    assert "img-src 'self' data:" in response["Content-Security-Policy"]


def test_reloading_the_set_up_page_keeps_the_same_secret(alice):
    client = logged_in(alice)
    client.get(SETUP_URL)
    client.get(SETUP_URL)
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_a_wrong_code_does_not_turn_it_on(alice):
    client = logged_in(alice)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=alice)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP_URL, {"code": wrong})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(alice):
    client = logged_in(alice)
    codes = enrol(client, alice)
    assert len(codes) == len(set(codes)) == 10
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).count() == 1
    page = client.get(SETUP_URL).content.decode()
    assert "Two-factor authentication is on" in page and "10 unused recovery codes" in page
    assert not any(code in page for code in codes)
    assert "Manage two-factor authentication" in client.get("/settings/security/").content.decode()


# Logging in

def test_without_two_factor_the_password_logs_in_as_before(alice):
    client = Client()
    assert password_step(client)["Location"] == "/settings/security/"
    assert SESSION_KEY in client.session


def test_with_two_factor_the_password_alone_does_not_log_in(alice_with_2fa):
    client = Client()
    response = password_step(client)
    assert response.status_code == 302 and response["Location"] == CODE_URL
    assert SESSION_KEY not in client.session
    assert client.get("/settings/security/").status_code == 302
    page = client.get(CODE_URL).content.decode()
    assert ">Code</label>" in page and ">Verify</button>" in page


def test_the_right_code_after_the_password_logs_in(alice_with_2fa):
    _, device, _ = alice_with_2fa
    client = Client()
    password_step(client)
    response = client.post(CODE_URL, {"code": code_for(device, steps_ahead=1)})
    assert response.status_code == 302 and response["Location"] == "/settings/security/"
    assert client.get("/settings/security/").status_code == 200


def test_the_login_keeps_its_next_page_through_the_code_step(alice_with_2fa):
    _, device, _ = alice_with_2fa
    client = Client()
    client.post(LOGIN_URL + "?next=/install/", {"username": "alice@example.com", "password": PASSWORD, "next": "/install/"})
    assert client.post(CODE_URL, {"code": code_for(device, steps_ahead=1)})["Location"] == "/install/"


def test_a_wrong_code_does_not_log_in(alice_with_2fa):
    client = Client()
    password_step(client)
    response = client.post(CODE_URL, {"code": "000000"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_recovery_code_logs_in_once(alice_with_2fa):
    alice, _, codes = alice_with_2fa
    first = Client()
    password_step(first)
    response = first.post(CODE_URL, {"code": codes[0].upper()}, follow=True)
    assert SESSION_KEY in first.session
    assert "You used a recovery code: 9 left." in response.content.decode()
    assert StaticToken.objects.filter(device__user=alice).count() == 9

    second = Client()
    password_step(second)
    assert second.post(CODE_URL, {"code": codes[0]}).status_code == 400
    assert SESSION_KEY not in second.session


def test_the_code_step_without_a_password_goes_back_to_the_login(client, db):
    assert client.get(CODE_URL)["Location"] == LOGIN_URL
    assert client.post(CODE_URL, {"code": "123456"})["Location"] == LOGIN_URL


def test_the_code_step_lapses_after_ten_minutes(alice_with_2fa):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    _, device, _ = alice_with_2fa
    client = Client()
    password_step(client)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=11)):
        response = client.post(CODE_URL, {"code": code_for(device, steps_ahead=1)})
    assert response["Location"] == LOGIN_URL
    assert SESSION_KEY not in client.session


def test_wrong_codes_count_toward_the_login_lockout(alice_with_2fa):
    _, device, _ = alice_with_2fa
    client = Client(REMOTE_ADDR="203.0.113.5")
    password_step(client)
    statuses = [client.post(CODE_URL, {"code": f"00000{n}"}).status_code for n in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    response = client.post(CODE_URL, {"code": code_for(device, steps_ahead=1)})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_admin_login_refuses_a_password_alone_with_two_factor_on(alice_with_2fa):
    alice, _, _ = alice_with_2fa
    type(alice).objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "two-factor authentication" in response.content.decode()
    assert SESSION_KEY not in client.session


# Turning it off

def test_turning_it_off_needs_the_password_and_a_code(alice_with_2fa):
    alice, device, _ = alice_with_2fa
    client = logged_in(alice)
    page = client.get(SETUP_URL).content.decode()
    assert ">Password</label>" in page and ">Code</label>" in page
    assert client.post(SETUP_URL, {"password": "wrong", "code": code_for(device, 1)}).status_code == 400
    assert client.post(SETUP_URL, {"password": PASSWORD, "code": "000000"}).status_code == 400
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    # django-otp waits a growing delay after a wrong code (1 second after the first): let it pass.
    TOTPDevice.objects.filter(user=alice).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(SETUP_URL, {"password": PASSWORD, "code": code_for(device, 1)})
    assert response["Location"] == "/settings/security/"
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticToken.objects.filter(device__user=alice).exists()
    client.logout()
    assert password_step(client)["Location"] == "/settings/security/"


# Required for the account

def test_only_owners_see_and_may_use_the_requirement(alice_with_2fa, bob, account):
    assert "Require two-factor authentication" not in logged_in(bob).get("/settings/security/").content.decode()
    assert logged_in(bob).post("/accounts/two-factor/require/", {"require_two_factor": "on"}).status_code == 403
    account.refresh_from_db()
    assert not account.require_two_factor


def test_an_owner_needs_two_factor_before_requiring_it(alice, account):
    response = logged_in(alice).post("/accounts/two-factor/require/", {"require_two_factor": "on"}, follow=True)
    assert "Set up two-factor authentication for yourself first." in response.content.decode()
    account.refresh_from_db()
    assert not account.require_two_factor


def test_members_without_it_are_sent_to_set_it_up_before_anything_else(alice_with_2fa, bob, account):
    alice = alice_with_2fa[0]
    page = logged_in(alice).get("/settings/security/").content.decode()
    assert "Require two-factor authentication" in page
    logged_in(alice).post("/accounts/two-factor/require/", {"require_two_factor": "on"})
    account.refresh_from_db()
    assert account.require_two_factor

    client = logged_in(bob)
    for path in ["/settings/security/", "/install/", "/accounts/password/change/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == SETUP_URL + "?required=1", path
    page = client.get(SETUP_URL + "?required=1").content.decode()
    assert "Your account requires two-factor authentication" in page
    enrol(client, bob)
    assert client.get("/settings/security/").status_code == 200
    assert logged_in(alice).get("/settings/security/").status_code == 200


def test_the_requirement_does_not_reach_other_accounts_or_api_keys(alice_with_2fa, account, charlie, api_client):
    Account.objects.filter(pk=account.pk).update(require_two_factor=True)
    assert logged_in(charlie).get("/settings/security/").status_code == 200
    assert api_client.get("/api/leads").status_code == 200
