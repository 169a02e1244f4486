"""A plan change governs the very next API request, however it is made (the admin, a model's
save(), or QuerySet.update(), which sends no signal), while other requests are running: nothing
keeps a copy of a key's account or plan between requests."""

import threading
import time

import pytest
from django.contrib.admin.utils import quote
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, Plan, User
from tests.conftest import requires_redis

THREADS = 4

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads with their own connections need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def bearer(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def change_under_load(raw_key, change, path="/api/usage"):
    """Run `change()` while threads keep requesting `path`; return [(started, status, body)] and
    when `change()` returned."""
    stop, results, errors = threading.Event(), [], []

    def load():
        client = bearer(raw_key)
        try:
            while not stop.is_set():
                started = time.monotonic()
                response = client.get(path)
                results.append((started, response.status_code, response.json()))
        except Exception as error:  # surfaced by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=load) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    change()
    changed_at = time.monotonic()
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    before = [status for started, status, _ in results if started < changed_at]
    after = [(status, body) for started, status, body in results if started > changed_at]
    assert 200 in before, "no request succeeded before the change: nothing proved"
    assert len(after) >= THREADS, "too few requests after the change to prove anything"
    return after


@pytest.fixture
def unlimited_starter(db):
    # The plan's requests-a-minute limit would turn the load into 429s.
    Plan.objects.filter(code="starter").update(api_requests_per_minute=0)


def admin_change_plan(account, code):
    staff = User.objects.create_superuser(email="staff@pivra.test", password="staff-password")
    client = Client()
    client.force_login(staff)
    url = reverse("admin:accounts_account_change", args=[quote(account.pk)])
    response = client.post(url, {
        "name": account.name, "plan": code,
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content[:2000]


def test_a_downgrade_to_free_in_the_admin_refuses_every_request_that_starts_after_it(
    key_pair, account, unlimited_starter
):
    after = change_under_load(key_pair[1], lambda: admin_change_plan(account, "free"))
    assert {status for status, _ in after} == {403}
    assert all("Free" in body["detail"] for _, body in after)


def test_a_downgrade_with_queryset_update_refuses_every_request_that_starts_after_it(
    key_pair, account, unlimited_starter
):
    free = Plan.objects.get(code="free")
    after = change_under_load(key_pair[1], lambda: Account.objects.filter(pk=account.pk).update(plan=free))
    assert {status for status, _ in after} == {403}


def test_a_plan_losing_api_access_with_queryset_update_refuses_every_request_that_starts_after_it(
    key_pair, unlimited_starter
):
    after = change_under_load(key_pair[1], lambda: Plan.objects.filter(code="starter").update(api_keys_allowed=False))
    assert {status for status, _ in after} == {403}


def test_an_upgrade_with_queryset_update_shows_in_usage_on_every_request_that_starts_after_it(
    key_pair, account, unlimited_starter
):
    business = Plan.objects.get(code="business")
    after = change_under_load(key_pair[1], lambda: Account.objects.filter(pk=account.pk).update(plan=business))
    assert {status for status, _ in after} == {200}
    assert {body["plan"]["code"] for _, body in after} == {"business"}
    assert {body["limits"]["chatbots"]["limit"] for _, body in after} == {business.max_chatbots}


@requires_redis
def test_a_lower_rate_limit_set_with_queryset_update_governs_the_next_request(key_pair, fresh_minute, shared_redis_cache):
    client = bearer(key_pair[1])
    assert [client.get("/api/leads").status_code for _ in range(3)] == [200] * 3
    Plan.objects.filter(code="starter").update(api_requests_per_minute=3)
    response = client.get("/api/leads")
    assert response.status_code == 429
    assert "3 API requests a minute" in response.json()["detail"]
