"""Revoking while requests with the key are running, on PostgreSQL as in production.

Threads keep calling /api/usage with a key, each with its own client and database connection,
while the main thread revokes it. Requests that overlap the revocation may go either way; every
request that *started* after `revoke()` returned must be refused.
"""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Plan
from apikeys.models import ApiKey
from tests.conftest import requires_redis

THREADS = 6
BEFORE_SECONDS = 0.4
AFTER_SECONDS = 0.4

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is proven on PostgreSQL (SQLite serialises writers); set DATABASE_URL to run it",
    ),
    # Transactional, so the threads' own connections see committed rows; serialized_rollback puts
    # the migration-seeded plans back for the transactional tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def hammer(raw_key, stop, results, errors):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    try:
        while not stop.is_set():
            started = time.monotonic()
            status = client.get("/api/usage").status_code
            results.append((started, status))
    except Exception as error:  # surfaced by the main thread
        errors.append(error)
    finally:
        connections.close_all()


def revoke_under_load(api_key, raw_key, alice):
    # The plan's requests-a-minute limit would turn this load into 429s; lift it for the test.
    Plan.objects.filter(code=api_key.account.plan_id).update(api_requests_per_minute=0)
    stop, results, errors = threading.Event(), [], []
    threads = [threading.Thread(target=hammer, args=(raw_key, stop, results, errors)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(BEFORE_SECONDS)
    api_key.revoke(by=alice)
    revoked_at = time.monotonic()
    time.sleep(AFTER_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results, revoked_at


def assert_no_request_started_after_the_revocation_succeeded(results, revoked_at):
    before = [status for started, status in results if started < revoked_at]
    after = [status for started, status in results if started > revoked_at]
    assert set(status for _, status in results) <= {200, 401}
    assert 200 in before, "no request succeeded before the revocation: the test proved nothing"
    assert len(after) >= THREADS, "too few requests after the revocation to prove anything"
    assert set(after) == {401}


def test_no_request_started_after_revoke_returned_succeeds(key_pair, alice):
    api_key, raw_key = key_pair
    results, revoked_at = revoke_under_load(api_key, raw_key, alice)
    assert_no_request_started_after_the_revocation_succeeded(results, revoked_at)


@requires_redis
def test_no_request_started_after_revoke_returned_succeeds_with_redis_counting_requests(key_pair, alice, shared_redis_cache):
    api_key, raw_key = key_pair
    results, revoked_at = revoke_under_load(api_key, raw_key, alice)
    assert_no_request_started_after_the_revocation_succeeded(results, revoked_at)


def test_many_workers_reading_a_stale_last_used_at_at_once_change_it_once(key_pair):
    api_key, raw_key = key_pair
    Plan.objects.filter(code=api_key.account.plan_id).update(api_requests_per_minute=0)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    writes, real_record_use = [], ApiKey.record_use

    def recording_record_use(self, now=None):
        writes.append(real_record_use(self, now))
        return writes[-1]

    start = threading.Barrier(THREADS)

    def request():
        start.wait()
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
            assert client.get("/api/usage").status_code == 200
        finally:
            connections.close_all()

    with mock.patch.object(ApiKey, "record_use", recording_record_use):
        threads = [threading.Thread(target=request) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(writes) == THREADS
    assert writes.count(True) == 1
    assert timezone.now() - ApiKey.objects.get(pk=api_key.pk).last_used_at < timedelta(seconds=30)
