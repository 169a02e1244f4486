"""Login throttling (django-axes): 5 failed logins for one email from one address within 15
minutes, and that email and address get 429 on the login page and the admin login for 15
minutes, even with the right password."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client

from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
LOCKED = "Too many failed logins. Try again in 15 minutes."


def from_address(address, **headers):
    return Client(REMOTE_ADDR=address, **headers)


def fail(client, email="alice@example.com", times=5, url=LOGIN_URL):
    return [client.post(url, {"username": email, "password": "wrong guess"}).status_code for _ in range(times)]


def log_in(client, email="alice@example.com", url=LOGIN_URL):
    return client.post(url, {"username": email, "password": PASSWORD})


def fifteen_minutes_pass():
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))


def test_four_failed_logins_still_get_the_form(alice):
    assert fail(from_address("203.0.113.9"), times=4) == [200] * 4


def test_after_five_failed_logins_even_the_right_password_gets_429(alice):
    client = from_address("203.0.113.9")
    assert fail(client) == [200, 200, 200, 200, 429]
    response = log_in(client)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert response["Retry-After"] == "900"
    assert SESSION_KEY not in client.session


def test_the_locked_page_is_the_same_whether_or_not_the_email_has_an_account(alice):
    fail(from_address("203.0.113.9"), "alice@example.com")
    fail(from_address("203.0.113.9"), "nobody@example.com")
    known = log_in(from_address("203.0.113.9"), "alice@example.com")
    unknown = log_in(from_address("203.0.113.9"), "nobody@example.com")
    assert known.status_code == unknown.status_code == 429
    assert known.content.decode().replace("alice@example.com", "") == unknown.content.decode().replace("nobody@example.com", "")
    assert "alice@example.com" not in known.content.decode()


def test_the_same_email_from_another_address_still_logs_in(alice):
    fail(from_address("203.0.113.9"))
    assert log_in(from_address("198.51.100.7")).status_code == 302


def test_another_email_from_the_locked_address_still_logs_in(alice, bob):
    fail(from_address("203.0.113.9"), "alice@example.com")
    assert log_in(from_address("203.0.113.9"), "bob@example.com").status_code == 302


def test_the_email_counts_whatever_its_case(alice):
    client = from_address("203.0.113.9")
    for email in ["alice@example.com", "ALICE@example.com", "Alice@Example.com", "alice@EXAMPLE.COM", " alice@example.com"]:
        fail(client, email, times=1)
    assert log_in(client, "alice@example.com").status_code == 429


def test_a_successful_login_resets_the_count(alice):
    client = from_address("203.0.113.9")
    fail(client, times=4)
    assert log_in(client).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, times=4) == [200] * 4
    assert log_in(client).status_code == 302


def test_after_15_minutes_the_right_password_logs_in_again(alice):
    client = from_address("203.0.113.9")
    fail(client)
    fifteen_minutes_pass()
    assert log_in(client).status_code == 302


def test_the_admin_login_is_throttled_too_and_shares_the_count(db):
    from accounts.models import User

    User.objects.create_superuser(email="staff@pivra.test", password=PASSWORD)
    client = from_address("203.0.113.9")
    assert fail(client, "staff@pivra.test", times=3, url=ADMIN_LOGIN_URL) == [200] * 3
    assert fail(client, "staff@pivra.test", times=2) == [200, 429]
    response = log_in(client, "staff@pivra.test", url=ADMIN_LOGIN_URL)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert log_in(from_address("198.51.100.7"), "staff@pivra.test", url=ADMIN_LOGIN_URL).status_code == 302


def test_failed_password_confirmations_count_toward_the_login_limit(alice):
    client = from_address("203.0.113.9")
    assert log_in(client).status_code == 302
    statuses = [client.post("/settings/security/", {"label": "Zapier", "confirm_password": "guess"}).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    client.post("/accounts/logout/")
    assert log_in(client).status_code == 429


def test_no_password_is_kept_in_the_failure_records(alice):
    client = from_address("203.0.113.9")
    client.post(LOGIN_URL, {"username": "alice@example.com", "password": "hunter2-secret"})
    log_in(client)
    client.post("/settings/security/", {"label": "Zapier", "confirm_password": "hunter3-secret"})
    records = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "confirm_password" in records
    assert "hunter2" not in records and "hunter3" not in records


@pytest.mark.parametrize("spoofed", ["1.1.1.1", "2.2.2.2, 3.3.3.3"])
def test_behind_a_proxy_the_address_the_proxy_saw_is_counted_not_a_spoofed_one(alice, settings, spoofed):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for n in range(5):  # each try claims another address on the left of the proxy's entry
        from_address(proxy, HTTP_X_FORWARDED_FOR=f"{spoofed}{n}, 203.0.113.9").post(
            LOGIN_URL, {"username": "alice@example.com", "password": "wrong guess"}
        )
    assert log_in(from_address(proxy, HTTP_X_FORWARDED_FOR=f"{spoofed}, 203.0.113.9")).status_code == 429
    assert log_in(from_address(proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")).status_code == 302
