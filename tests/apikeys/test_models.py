"""ApiKey: created through the manager, stored as a hash, revoked with an audit trail."""

from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import AuditEvent, Membership
from apikeys import crypto
from apikeys.models import ApiKey
from tests.conftest import make_member


def test_create_key_returns_the_key_and_the_plaintext_once(account, alice):
    api_key, raw_key = ApiKey.objects.create_key(account=account, label="Zapier integration", created_by=alice)
    assert crypto.is_well_formed(raw_key)
    assert api_key.account == account
    assert api_key.created_by == alice
    assert not hasattr(api_key, "raw_key")


def test_the_stored_hash_is_not_the_key_and_does_not_contain_it(key_pair):
    api_key, raw_key = key_pair
    api_key.refresh_from_db()
    assert api_key.key_hash != raw_key
    assert raw_key not in api_key.key_hash
    assert raw_key[len("pivra_sk_"):] not in api_key.key_hash
    assert api_key.key_hash == crypto.hash_key(raw_key)


def test_each_key_records_the_algorithm_that_made_its_hash(key_pair):
    api_key, _ = key_pair
    api_key.refresh_from_db()
    assert api_key.hash_algorithm == "hmac-sha256"


def test_no_column_of_the_key_row_holds_the_plaintext(key_pair):
    api_key, raw_key = key_pair
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert not [column for column, value in row.items() if isinstance(value, str) and raw_key in value]


def test_the_hint_is_the_prefix_and_the_last_four_characters(key_pair):
    api_key, raw_key = key_pair
    assert api_key.hint == f"pivra_sk_…{raw_key[-4:]}"


def test_the_key_hash_column_is_unique_and_indexed(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ApiKey._meta.db_table)
    assert any(c["columns"] == ["key_hash"] and c["unique"] for c in constraints.values())


def test_two_active_keys_of_an_account_cannot_share_a_label_even_past_the_form(key_pair, account):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create_key(account=account, label="CRM sync")


def test_a_revoked_keys_label_can_be_used_again(key_pair, account, alice):
    key_pair[0].revoke(by=alice)
    ApiKey.objects.create_key(account=account, label="CRM sync")
    assert ApiKey.objects.for_account(account).filter(label="CRM sync").count() == 2


def test_another_account_may_use_the_same_label(key_pair, other_account):
    ApiKey.objects.create_key(account=other_account, label="CRM sync")


def test_active_lists_only_keys_that_are_not_revoked(key_pair, account, alice):
    other, _ = ApiKey.objects.create_key(account=account, label="Old")
    other.revoke(by=alice)
    assert list(ApiKey.objects.active()) == [key_pair[0]]


# Audit events


def test_creating_a_key_writes_an_audit_event_with_actor_key_and_ip(account, alice):
    api_key, _ = ApiKey.objects.create_key(account=account, label="CRM sync", created_by=alice, ip_address="203.0.113.7")
    event = AuditEvent.objects.get()
    assert event.account == account
    assert event.action == AuditEvent.Action.API_KEY_CREATED
    assert (event.actor, event.actor_email) == (alice, "alice@example.com")
    assert event.target_id == api_key.pk
    assert event.target_description == f"CRM sync ({api_key.hint})"
    assert event.ip_address == "203.0.113.7"


def test_revoking_a_key_writes_an_audit_event_with_actor_key_and_ip(key_pair, alice):
    api_key, _ = key_pair
    api_key.revoke(by=alice, ip_address="2001:db8::1")
    event = AuditEvent.objects.get(action=AuditEvent.Action.API_KEY_REVOKED)
    assert (event.actor, event.actor_email) == (alice, "alice@example.com")
    assert event.target_id == api_key.pk
    assert event.ip_address == "2001:db8::1"


def test_revoking_records_when_and_by_whom(key_pair, alice):
    api_key, _ = key_pair
    assert api_key.revoke(by=alice) is True
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.revoked_by == alice
    assert not api_key.is_active


def test_revoking_twice_changes_nothing_the_second_time(key_pair, alice, bob):
    api_key, _ = key_pair
    api_key.revoke(by=alice)
    first_revoked_at = ApiKey.objects.get(pk=api_key.pk).revoked_at
    assert api_key.revoke(by=bob) is False
    api_key.refresh_from_db()
    assert (api_key.revoked_at, api_key.revoked_by) == (first_revoked_at, alice)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_REVOKED).count() == 1


def test_a_key_is_not_created_when_its_audit_event_cannot_be_written(account, alice):
    with mock.patch.object(AuditEvent, "record", side_effect=IntegrityError("audit table unavailable")):
        with pytest.raises(IntegrityError):
            ApiKey.objects.create_key(account=account, label="CRM sync", created_by=alice)
    assert not ApiKey.objects.exists()


def test_a_key_stays_active_when_its_revocation_cannot_be_audited(key_pair, alice):
    api_key, _ = key_pair
    with mock.patch.object(AuditEvent, "record", side_effect=IntegrityError("audit table unavailable")):
        with pytest.raises(IntegrityError):
            api_key.revoke(by=alice)
    assert ApiKey.objects.get(pk=api_key.pk).is_active


def test_the_audit_trail_stays_readable_after_the_actor_is_deleted(key_pair, alice):
    alice.delete()
    event = AuditEvent.objects.get()
    assert event.actor is None
    assert event.actor_email == "alice@example.com"


# Keys belong to the account, not to the person who created them


def test_a_key_outlives_the_user_who_created_it(key_pair, alice, api_client):
    api_key, _ = key_pair
    alice.delete()
    api_key.refresh_from_db()
    assert api_key.created_by is None
    assert api_client.get("/api/usage").status_code == 200


def test_a_key_outlives_its_creator_leaving_the_account_and_forgets_who_made_it(key_pair, alice, api_client):
    api_key, _ = key_pair
    Membership.objects.filter(user=alice).delete()
    api_key.refresh_from_db()
    assert api_key.created_by is None
    assert api_client.get("/api/usage").status_code == 200


def test_leaving_one_account_keeps_the_creator_on_keys_of_another(account, other_account, alice):
    make_member(other_account, "dana@example.com", Membership.Role.OWNER)
    Membership.objects.create(user=alice, account=other_account, role=Membership.Role.ADMIN)
    kept, _ = ApiKey.objects.create_key(account=other_account, label="Kept", created_by=alice)
    Membership.objects.filter(user=alice, account=account).delete()
    kept.refresh_from_db()
    assert kept.created_by == alice
