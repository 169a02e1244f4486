"""The key lookup that authentication runs, compiled once: it must find exactly what the ORM finds."""

from datetime import timedelta

import pytest

from django.db import connection
from django.utils import timezone

from apikeys import crypto, lookup
from apikeys.models import ApiKey
from tests.conftest import make_account


def orm_lookup(key_hash):
    return ApiKey.objects.select_related("account__plan").filter(key_hash=key_hash, revoked_at__isnull=True).first()


def test_it_loads_the_key_its_account_and_plan_as_the_orm_does_in_one_query(key_pair, django_assert_num_queries):
    api_key, raw_key = key_pair
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(hours=3))
    expected = orm_lookup(crypto.hash_key(raw_key))
    with django_assert_num_queries(1):
        found = lookup.find_active(crypto.hash_key(raw_key))
        account, plan = found.account, found.account.plan
    assert fields(found) == fields(expected)
    assert found.last_used_at.tzinfo is not None  # a datetime, whatever the database returns
    assert fields(account) == fields(expected.account)
    assert fields(plan) == fields(expected.account.plan)
    assert plan.code == "starter" and plan.api_keys_allowed


def fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


# A connection can only be replaced outside a transaction; serialized_rollback restores the plans.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_still_works_after_the_database_connection_was_replaced(key_pair):
    api_key, raw_key = key_pair
    assert lookup.find_active(crypto.hash_key(raw_key)).pk == api_key.pk
    connection.close()  # what CONN_MAX_AGE and health checks do between requests
    assert lookup.find_active(crypto.hash_key(raw_key)).pk == api_key.pk


def test_it_finds_each_key_and_only_its_own(key_pair, other_account):
    other_key, other_raw = ApiKey.objects.create_key(account=other_account, label="Other")
    assert lookup.find_active(crypto.hash_key(other_raw)).account == other_account
    assert lookup.find_active(crypto.hash_key(key_pair[1])).pk == key_pair[0].pk


def test_it_does_not_find_a_revoked_key(key_pair):
    api_key, raw_key = key_pair
    api_key.revoke()
    assert lookup.find_active(crypto.hash_key(raw_key)) is None


def test_it_does_not_find_an_unknown_hash(key_pair):
    assert lookup.find_active(crypto.hash_key(crypto.generate_secret_key())) is None


def test_a_found_key_can_be_saved_and_revoked_like_any_other(db):
    api_key, raw_key = ApiKey.objects.create_key(account=make_account("Found Co"), label="Found")
    found = lookup.find_active(crypto.hash_key(raw_key))
    found.record_use()
    assert found.revoke()
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None and api_key.last_used_at is not None
