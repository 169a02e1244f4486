"""The key lookup that authentication runs, compiled once: it must find exactly what the ORM finds."""

from datetime import timedelta

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
    assert {f.attname: getattr(found, f.attname) for f in ApiKey._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in ApiKey._meta.concrete_fields
    }
    assert found.last_used_at.tzinfo is not None  # a datetime, whatever the database returns
    assert (account.pk, account.name) == (expected.account.pk, expected.account.name)
    assert plan.code == "starter" and plan.api_keys_allowed
    assert plan.api_requests_per_minute == expected.account.plan.api_requests_per_minute


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
