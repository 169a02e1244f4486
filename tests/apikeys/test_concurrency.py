"""Revoking while requests with the key are running, on PostgreSQL as in production.

Threads keep calling /api/usage with a key, each with its own client and database connection,
while the main thread revokes it. Requests that overlap the revocation may go either way; every
request that *started* after `revoke()` returned must be refused.
"""

import threading
import time

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import Plan
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
