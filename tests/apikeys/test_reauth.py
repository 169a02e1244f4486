"""Managing keys asks for the password first: the first such action of a login session, and any
such action two hours after the last one (accounts.reauth)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from apikeys.models import ApiKey
from tests.conftest import PASSWORD

from .pages import SECURITY, revoke_url, shown_keys, the_new_key


@pytest.fixture
def fresh_client(alice):
    """Alice just logged in: logging in does not count as confirming."""
    client = Client()
    client.force_login(alice)
    return client


def test_the_first_key_of_a_session_asks_for_the_password_then_creates_it(fresh_client, account):
    asked = fresh_client.post(SECURITY, {"label": "Zapier", "expires": "30"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "<h1>Confirm your password</h1>" in page
    assert '<input type="hidden" name="label" value="Zapier">' in page
    assert not ApiKey.objects.exists() and shown_keys(asked) == []

    created = fresh_client.post(SECURITY, {"label": "Zapier", "expires": "30", "confirm_password": PASSWORD})
    the_new_key(created)
    assert ApiKey.objects.get(label="Zapier").expires_at is not None


def test_a_wrong_password_does_nothing_but_say_so(fresh_client, account):
    response = fresh_client.post(SECURITY, {"label": "Zapier", "confirm_password": "not-it"})
    assert response.status_code == 400
    assert "That password is not right. Nothing was changed." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_once_confirmed_key_actions_go_through_until_two_hours_after_the_last_one(fresh_client, account):
    the_new_key(fresh_client.post(SECURITY, {"label": "First", "confirm_password": PASSWORD}))
    the_new_key(fresh_client.post(SECURITY, {"label": "Second"}))
    second = ApiKey.objects.get(label="Second")
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(hours=1, minutes=59)):
        assert fresh_client.post(revoke_url(second)).status_code == 302
    later = timezone.now() + timedelta(hours=4)
    with mock.patch("django.utils.timezone.now", return_value=later):
        third = fresh_client.post(SECURITY, {"label": "Third"})
    assert "Confirm your password" in third.content.decode()
    assert not ApiKey.objects.filter(label="Third").exists()


@pytest.mark.parametrize("action", ["revoke", "edit", "roll"])
def test_revoking_editing_and_rolling_ask_too(fresh_client, key_pair, action):
    api_key, _ = key_pair
    data = {"edit": {"access": "read_only"}, "roll": {"stops_in": "0"}, "revoke": {}}[action]
    response = fresh_client.post(f"{SECURITY}keys/{api_key.pk}/{action}/", data)
    assert "Confirm your password" in response.content.decode()
    api_key.refresh_from_db()
    assert (api_key.revoked_at, api_key.access, api_key.rolled_at) == (None, "full", None)


def test_regenerating_an_embed_key_asks_too(fresh_client, chatbot):
    old = chatbot.embed_key
    response = fresh_client.post(f"/install/{chatbot.pk}/regenerate-embed-key/")
    assert "Confirm your password" in response.content.decode()
    chatbot.refresh_from_db()
    assert chatbot.embed_key == old


def test_a_member_is_refused_before_any_password_is_asked(bob, key_pair):
    client = Client()
    client.force_login(bob)
    response = client.post(revoke_url(key_pair[0]), {"confirm_password": PASSWORD})
    assert response.status_code == 403
    assert "Confirm your password" not in response.content.decode()


def test_after_five_wrong_passwords_even_the_right_one_waits(fresh_client, account):
    # They count toward the login throttling of alice's email from this address (accounts.throttling).
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.db.models import F

    for _ in range(4):
        assert fresh_client.post(SECURITY, {"label": "Zapier", "confirm_password": "guess"}).status_code == 400
    assert fresh_client.post(SECURITY, {"label": "Zapier", "confirm_password": "guess"}).status_code == 429
    locked = fresh_client.post(SECURITY, {"label": "Zapier", "confirm_password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many wrong passwords. Nothing was changed: try again in 15 minutes." in locked.content.decode()
    assert not ApiKey.objects.exists()
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))  # time passes
    the_new_key(fresh_client.post(SECURITY, {"label": "Zapier", "confirm_password": PASSWORD}))
