"""Rolling a key: a new key with the same label and settings, the old one working until the owner
said it stops."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from apikeys.models import ApiKey, RollRefused

from .pages import SECURITY, create, keys_table, the_new_key

HOUR = timedelta(hours=1)


def roll_url(api_key):
    return f"{SECURITY}keys/{api_key.pk}/roll/"


def status_with(raw_key):
    return APIClient().get("/api/usage", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code


def later(delta):
    """Moves the clock that key checks read forward by `delta`."""
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + delta)


@pytest.fixture
def configured_key(account, alice):
    return ApiKey.objects.create_key(
        account=account, label="CRM sync", created_by=alice, access=ApiKey.Access.RESTRICTED,
        resource_levels={"leads": "read", "usage": "read"}, allowed_ips=["127.0.0.1"], requests_per_minute=20,
    )


def test_rolling_shows_the_new_key_once_and_it_keeps_the_label_and_settings(alice_client, configured_key):
    old, old_raw = configured_key
    response = alice_client.post(roll_url(old), {"stops_in": "3600"})
    assert response.status_code == 200
    new_raw = the_new_key(response)
    assert new_raw != old_raw
    new = ApiKey.objects.get(last_four=new_raw[-4:], label="CRM sync", rolled_at__isnull=True)
    assert (new.access, new.resource_levels, new.allowed_ips, new.requests_per_minute) == (
        "restricted", {"leads": "read", "usage": "read"}, ["127.0.0.1"], 20,
    )
    assert f"It replaces <code>{old.hint}</code>, which stops working on" in response.content.decode()
    assert new_raw not in alice_client.get(SECURITY).content.decode()


def test_with_an_overlap_both_keys_work_until_the_old_one_stops(alice_client, configured_key):
    old, old_raw = configured_key
    new_raw = the_new_key(alice_client.post(roll_url(old), {"stops_in": "3600"}))
    assert (status_with(old_raw), status_with(new_raw)) == (200, 200)
    with later(HOUR + timedelta(seconds=1)):
        response = APIClient().get("/api/usage", HTTP_AUTHORIZATION=f"Bearer {old_raw}")
        assert (response.status_code, response.json()["code"]) == (401, "key_expired")
        assert status_with(new_raw) == 200


def test_rolling_now_stops_the_old_key_at_once(alice_client, configured_key):
    old, old_raw = configured_key
    new_raw = the_new_key(alice_client.post(roll_url(old), {"stops_in": "0"}))
    assert (status_with(old_raw), status_with(new_raw)) == (401, 200)
    old.refresh_from_db()
    assert old.revoked_at is not None


def test_while_both_work_they_are_listed_under_the_label_and_the_old_one_says_when_it_stops(alice_client, configured_key):
    old, _ = configured_key
    alice_client.post(roll_url(old), {"stops_in": "86400"})
    rows = keys_table(alice_client.get(SECURITY))
    assert [row["Label"] for row in rows] == ["CRM sync", "CRM sync"]
    [replaced] = [row for row in rows if row["Key"] == old.hint]
    old.refresh_from_db()
    assert replaced["Status"] == f"Replaced by {old.replaced_by.hint}: stops working {old.expires_at:%Y-%m-%d %H:%M} UTC"
    assert "Roll" not in replaced["Actions"] and "Revoke" in replaced["Actions"]


def test_the_roll_and_the_new_key_are_both_in_the_audit_log_linked(alice_client, configured_key, alice):
    old, _ = configured_key
    new_raw = the_new_key(alice_client.post(roll_url(old), {"stops_in": "3600"}))
    rolled = AuditEvent.objects.get(action="api_key.rolled")
    created = AuditEvent.objects.filter(action="api_key.created").order_by("-created_at").first()
    assert rolled.target_id == old.pk and rolled.actor == alice
    assert rolled.target_description == f"CRM sync ({old.hint}) → pivra_sk_…{new_raw[-4:]}"
    assert created.target_description == f"CRM sync (pivra_sk_…{new_raw[-4:]})"


def test_a_key_already_being_replaced_cannot_be_rolled_again(alice_client, configured_key):
    old, _ = configured_key
    alice_client.post(roll_url(old), {"stops_in": "3600"})
    response = alice_client.post(roll_url(old), {"stops_in": "3600"})
    assert response.status_code == 409
    assert "This key is already being replaced by" in response.content.decode()
    assert ApiKey.objects.filter(label="CRM sync").count() == 2


def test_a_revoked_or_expired_key_cannot_be_rolled(account, alice):
    revoked, _ = ApiKey.objects.create_key(account=account, label="Gone")
    revoked.revoke(by=alice)
    with pytest.raises(RollRefused, match="revoked"):
        revoked.roll(stops_in=HOUR)
    expired, _ = ApiKey.objects.create_key(account=account, label="Old", expires_at=timezone.now() + HOUR)
    with later(2 * HOUR), pytest.raises(RollRefused, match="expired"):
        expired.roll(stops_in=HOUR)


def test_the_new_key_keeps_the_old_ones_lifetime(account):
    old, _ = ApiKey.objects.create_key(account=account, label="Trial", expires_at=timezone.now() + timedelta(days=30))
    new, _ = old.roll(stops_in=HOUR)
    assert abs(new.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_the_label_stays_taken_by_the_new_key(alice_client, configured_key):
    old, _ = configured_key
    alice_client.post(roll_url(old), {"stops_in": "3600"})
    response = create(alice_client, label="CRM sync")
    assert response.status_code == 400
    assert "An active key already has this label." in response.content.decode()


def test_members_cannot_roll_and_another_accounts_key_is_not_found(bob_client, charlie, other_account, alice_client, configured_key):
    old, _ = configured_key
    assert bob_client.post(roll_url(old), {"stops_in": "0"}).status_code == 403
    others, _ = ApiKey.objects.create_key(account=other_account, label="Theirs")
    assert alice_client.post(roll_url(others), {"stops_in": "0"}).status_code == 404
    assert ApiKey.objects.filter(rolled_at__isnull=False).count() == 0


def test_the_roll_page_offers_when_the_old_key_stops(alice_client, configured_key):
    page = alice_client.get(roll_url(configured_key[0])).content.decode()
    assert "Old key stops working" in page and "Roll key" in page
    for choice in ["Now", "1 hour", "24 hours", "7 days"]:
        assert f"{choice}</label>" in page
