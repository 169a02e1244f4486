"""With a shared Redis cache of verified keys, revocations and plan changes still apply on the
very next request (every worker reads the same cache, and revoking updates it before returning)."""

import os
import subprocess
import sys

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Plan
from apikeys import cache as key_cache
from apikeys.models import ApiKey
from tests.conftest import REDIS_URL, requires_redis

from .pages import use


pytestmark = [requires_redis, pytest.mark.usefixtures("shared_redis_cache")]


def cached_entry(api_key):
    return key_cache.get(api_key.key_hash)


def key_lookups(captured):
    return [q for q in captured.captured_queries if q["sql"].startswith("SELECT") and ApiKey._meta.db_table in q["sql"]]


def test_a_verified_key_is_cached_in_the_shared_cache_without_its_plaintext(key_pair):
    api_key, raw_key = key_pair
    assert use(raw_key).status_code == 200
    entry = cached_entry(api_key)
    assert isinstance(entry, ApiKey) and entry.pk == api_key.pk
    assert (entry.account, entry.account.plan) == (api_key.account, api_key.account.plan)
    stored = redis.Redis.from_url(REDIS_URL).get(cache.make_key(key_cache.entry_key(api_key.key_hash)))
    assert raw_key.encode() not in stored and api_key.key_hash.encode() in stored


def test_a_cached_key_is_verified_without_a_database_lookup(key_pair):
    use(key_pair[1])
    with CaptureQueriesContext(connection) as captured:
        assert use(key_pair[1]).status_code == 200
    assert key_lookups(captured) == []


def test_a_cached_key_brings_its_account_and_plan_without_any_query(key_pair):
    api_key, raw_key = key_pair
    use(raw_key)
    with CaptureQueriesContext(connection) as captured:
        entry = cached_entry(api_key)
        assert (entry.account.name, entry.account.plan.api_requests_per_minute) == (
            api_key.account.name, api_key.account.plan.api_requests_per_minute)
    assert captured.captured_queries == []
    assert not entry._state.adding
    entry.refresh_from_db()  # a model instance like any other: its row is the key's row
    assert (entry.pk, entry.revoked_at) == (api_key.pk, None)


def test_an_entry_stored_by_an_earlier_release_is_not_used(key_pair):
    # Releases that pickled model instances kept them under the tombstone's name.
    api_key, raw_key = key_pair
    cache.set(key_cache.tombstone_key(api_key.key_hash), ApiKey.objects.get(pk=api_key.pk))
    with CaptureQueriesContext(connection) as captured:
        assert use(raw_key).status_code == 200
    assert len(key_lookups(captured)) == 1


def test_an_entry_that_is_not_the_keys_own_is_not_trusted(key_pair, other_account, charlie):
    outsider, _ = ApiKey.objects.create_key(account=other_account, label="Outsider", created_by=charlie)
    api_key, raw_key = key_pair
    use(raw_key)
    outsiders_entry = key_cache.encode(ApiKey.objects.select_related("account__plan").get(pk=outsider.pk))
    cache.set(key_cache.entry_key(api_key.key_hash), outsiders_entry)  # a mix-up, however it came about
    assert use(raw_key).status_code == 200
    assert cached_entry(api_key) is None  # not taken as this key's: it was looked up instead


def test_a_key_revoked_by_an_earlier_release_is_refused_although_it_was_cached(key_pair):
    api_key, raw_key = key_pair
    assert use(raw_key).status_code == 200
    assert isinstance(cached_entry(api_key), ApiKey)
    cache.set(key_cache.tombstone_key(api_key.key_hash), key_cache.REVOKED)  # as that release revokes
    assert use(raw_key).status_code == 401


def test_a_revoked_key_is_refused_on_the_very_next_request_although_it_was_cached(key_pair, alice):
    api_key, raw_key = key_pair
    assert use(raw_key).status_code == 200
    assert cached_entry(api_key) is not None
    api_key.revoke(by=alice)
    response = use(raw_key)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_a_key_revoked_through_a_stale_copy_is_refused_on_the_next_request(key_pair, alice):
    api_key, raw_key = key_pair
    use(raw_key)
    ApiKey.objects.get(pk=api_key.pk).revoke(by=alice)  # another worker's copy
    assert use(raw_key).status_code == 401


def test_a_revoked_key_is_not_put_back_in_the_cache_by_a_later_lookup(key_pair, alice):
    api_key, raw_key = key_pair
    api_key.revoke(by=alice)
    for _ in range(3):
        assert use(raw_key).status_code == 401
    assert not isinstance(cached_entry(api_key), ApiKey)


def test_a_plan_downgrade_is_seen_on_the_next_request(key_pair, account):
    assert use(key_pair[1]).status_code == 200
    account.plan = Plan.objects.get(code="free")
    account.save()
    response = use(key_pair[1])
    assert response.status_code == 403
    assert "Free" in response.json()["detail"]


def test_a_plan_upgrade_is_seen_on_the_next_request(key_pair, account):
    use(key_pair[1])
    account.plan = Plan.objects.get(code="business")
    account.save()
    assert use(key_pair[1]).json()["plan"]["code"] == "business"


def test_a_cached_key_still_records_its_use_at_most_once_a_minute(key_pair):
    api_key, raw_key = key_pair
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            use(raw_key)
    updates = [q for q in captured.captured_queries if q["sql"].startswith("UPDATE") and ApiKey._meta.db_table in q["sql"]]
    assert len(updates) == 1
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is not None


def test_a_plan_that_loses_api_access_is_seen_on_the_next_request(key_pair):
    use(key_pair[1])
    Plan.objects.filter(code="starter").update(api_keys_allowed=False)
    starter = Plan.objects.get(code="starter")
    starter.save()  # as staff do in the admin
    response = use(key_pair[1])
    assert response.status_code == 403
    assert "Starter" in response.json()["detail"]


def test_the_keys_of_a_deleted_account_stop_working_on_the_next_request(key_pair, account):
    assert use(key_pair[1]).status_code == 200
    account.delete()
    assert use(key_pair[1]).status_code == 401


def test_a_deleted_key_stops_working_on_the_next_request(key_pair):
    api_key, raw_key = key_pair
    assert use(raw_key).status_code == 200
    api_key.delete()
    assert use(raw_key).status_code == 401


def test_a_redis_url_turns_on_the_shared_key_cache_with_pivras_redis_backend():
    settings_of_a_production_process = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.CACHES['default']['BACKEND'], settings.API_KEY_CACHE_ENABLED)"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "pivra.settings", "REDIS_URL": REDIS_URL, "CACHE_URL": "",
             "SECRET_KEY": "test-only-secret-key"},
        capture_output=True, text=True, check=True,
    )
    assert settings_of_a_production_process.stdout.split() == ["pivra.cache.RedisCache", "True"]
