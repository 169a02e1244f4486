"""Logging in with an email address and a password."""

import pytest
from django.contrib.auth import SESSION_KEY

from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"


def test_the_login_page_asks_for_email_and_password(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert ">Email</label>" in page
    assert ">Password</label>" in page
    assert ">Log in</button>" in page


def test_a_user_logs_in_with_their_email_and_password(client, alice):
    response = client.post(LOGIN_URL, {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/settings/security/"
    assert client.session[SESSION_KEY] == str(alice.pk)


@pytest.mark.parametrize("typed", ["ALICE@EXAMPLE.COM", "Alice@Example.com", "alice@EXAMPLE.com"])
def test_the_email_is_not_case_sensitive_at_login(client, alice, typed):
    response = client.post(LOGIN_URL, {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


@pytest.mark.parametrize(
    "email, password",
    [
        ("alice@example.com", "wrong password"),
        ("alice@example.com", PASSWORD.upper()),
        ("nobody@example.com", PASSWORD),
    ],
    ids=["wrong-password", "password-in-wrong-case", "unknown-email"],
)
def test_a_wrong_email_or_password_shows_a_form_error_and_logs_nobody_in(client, alice, email, password):
    response = client.post(LOGIN_URL, {"username": email, "password": password})
    assert response.status_code == 200
    assert "That email and password do not match an account" in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "", "password": ""},
        {"username": "not-an-email", "password": PASSWORD},
        {"username": "alice@example.com\x00", "password": PASSWORD},
        {"username": "alice@example.com", "password": "x" * 10_000},
    ],
    ids=["nothing", "blank", "not-an-email", "nul-character", "10k-password"],
)
def test_incomplete_login_forms_are_answered_with_the_form_not_an_error(client, alice, data):
    response = client.post(LOGIN_URL, data)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_an_inactive_user_cannot_log_in(client, alice):
    alice.is_active = False
    alice.save()
    client.post(LOGIN_URL, {"username": "alice@example.com", "password": PASSWORD})
    assert SESSION_KEY not in client.session


def test_logging_out_ends_the_session(alice_client):
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert SESSION_KEY not in alice_client.session
    assert alice_client.get("/settings/security/").status_code == 302
