"""Password change (Settings → Security) and password reset (Forgot your password? on the login
page), through the real stack: forms, sessions, email, tokens and login throttling."""

import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

CHANGE_URL = "/accounts/password/change/"
RESET_URL = "/accounts/password/reset/"
NEW_PASSWORD = "a different horse, still stapled"


def logged_in(email="alice@example.com", password=PASSWORD, address="127.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    assert client.post("/accounts/login/", {"username": email, "password": password}).status_code == 302
    return client


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(CHANGE_URL, {"old_password": current, "new_password1": new, "new_password2": confirm or new})


def reset_link(email="alice@example.com"):
    Client().post(RESET_URL, {"email": email})
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)


def set_password_through(link, password=NEW_PASSWORD):
    """Follows the emailed link as a browser does: Django swaps the token for a session marker
    and redirects to the form."""
    client = Client()
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    return client, response, client.post(form_url, {"new_password1": password, "new_password2": password})


# Password change

def test_the_change_password_page_has_the_specs_fields(alice):
    page = logged_in().get(CHANGE_URL).content.decode()
    for label in ("Current password", "New password", "Confirm new password"):
        assert f">{label}</label>" in page


def test_every_page_links_to_change_password(alice):
    assert f'href="{CHANGE_URL}">Change password</a>' in logged_in().get("/install/").content.decode()


def test_changing_the_password_needs_a_login(client, db):
    response = client.get(CHANGE_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_wrong_current_password_is_a_field_error_and_changes_nothing(alice):
    client = logged_in()
    response = change(client, current="not my password")
    assert response.status_code == 200
    assert response.context["form"].errors == {"old_password": ["That is not your current password."]}
    assert 'id="id_old_password_error"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_new_passwords_that_do_not_match_are_a_field_error(alice):
    response = change(logged_in(), new=NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert response.context["form"].errors == {"new_password2": ["The two new passwords do not match."]}
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_by_djangos_validators(alice):
    response = change(logged_in(), new="password")
    assert "new_password2" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_changing_the_password_keeps_this_session_and_ends_the_others(alice):
    here, elsewhere = logged_in(), logged_in()
    response = change(here)
    assert response.status_code == 302 and response["Location"] == "/settings/security/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert here.get("/settings/security/").status_code == 200
    gone = elsewhere.get("/settings/security/")
    assert gone.status_code == 302 and gone["Location"].startswith("/accounts/login/")


def test_wrong_current_passwords_count_toward_the_login_lockout(alice):
    client = logged_in(address="203.0.113.7")
    statuses = [change(client, current=f"guess {n}").status_code for n in range(5)]
    assert statuses[:4] == [200] * 4 and statuses[4] == 429
    assert change(client).status_code == 429  # even the right one, while locked
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert Client(REMOTE_ADDR="203.0.113.7").post(
        "/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}
    ).status_code == 429


# Password reset

def test_the_login_page_links_to_forgot_your_password(client, db):
    assert f'href="{RESET_URL}">Forgot your password?</a>' in client.get("/accounts/login/").content.decode()


def test_tests_send_email_to_djangos_locmem_backend(settings):
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_a_known_address_gets_a_reset_email_without_the_password(alice):
    response = Client().post(RESET_URL, {"email": "ALICE@example.com"}, follow=True)
    assert "If an account uses that address" in response.content.decode()
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert "/accounts/password/reset/" in email.body
    assert PASSWORD not in email.body and PASSWORD not in email.subject
    assert alice.password not in email.body


def test_an_unknown_address_gets_no_email_and_the_very_same_page(alice):
    known = Client().post(RESET_URL, {"email": "alice@example.com"}, follow=True)
    unknown = Client().post(RESET_URL, {"email": "nobody@example.com"}, follow=True)
    assert len(mail.outbox) == 1
    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    strip = lambda response: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    assert strip(unknown) == strip(known)


def test_the_link_sets_a_new_password_once(alice):
    link = reset_link()
    _, page, response = set_password_through(link)
    assert 'for="id_new_password2">Confirm new password</label>' in page.content.decode()
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    logged_in(password=NEW_PASSWORD)

    _, again, second = set_password_through(link, password="yet another horse, stapled")
    assert "This link no longer works" in again.content.decode()
    assert "This link no longer works" in second.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_resetting_the_password_ends_every_session(alice):
    elsewhere = logged_in()
    set_password_through(reset_link())
    assert elsewhere.get("/settings/security/").status_code == 302


def test_the_link_stops_working_after_an_hour(alice):
    link = reset_link()
    later = datetime.now() + timedelta(hours=1, seconds=1)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        _, page, _ = set_password_through(link)
    assert "This link no longer works" in page.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_link_still_works_within_the_hour(alice):
    link = reset_link()
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=datetime.now() + timedelta(minutes=59)):
        set_password_through(link)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_an_inactive_account_gets_no_email(alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    Client().post(RESET_URL, {"email": "alice@example.com"})
    assert mail.outbox == []


def test_login_throttling_still_applies_after_a_reset(alice):
    client = Client(REMOTE_ADDR="203.0.113.8")
    set_password_through(reset_link())
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice@example.com", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("path", ["/accounts/password/reset/MQ/not-a-token/", "/accounts/password/reset/%00%ff/x-y/"])
def test_a_forged_link_is_refused_without_an_error(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
