"""Requests a minute per account with the shared Redis cache: every request with a valid key that
its plan lets through counts once, and only those."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Plan
from usage import ratelimit
from apikeys.models import ApiKey
from tests.conftest import requires_redis

pytestmark = [requires_redis, pytest.mark.usefixtures("shared_redis_cache", "fresh_minute")]


def client_for(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def test_each_request_with_a_cached_key_counts_once(api_client, account):
    statuses = [api_client.get("/api/leads").status_code for _ in range(6)]
    assert statuses == [200] * 6
    assert ratelimit.requests_this_window(account.pk) == 6
    assert api_client.get("/api/usage").json()["limits"]["api_requests_per_minute"]["used"] == 7


def test_the_request_past_the_plans_limit_is_a_429(api_client):
    plan = Plan.objects.get(code="starter")
    plan.api_requests_per_minute = 4
    plan.save()
    statuses = [api_client.get("/api/leads").status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert api_client.get("/api/leads").json()["code"] == "rate_limited"


def test_every_key_of_an_account_counts_against_the_same_limit(api_client, account):
    _, second_key = ApiKey.objects.create_key(account=account, label="Second")
    second = client_for(second_key)
    for _ in range(3):
        assert api_client.get("/api/leads").status_code == 200
        assert second.get("/api/leads").status_code == 200
    assert ratelimit.requests_this_window(account.pk) == 6


def test_a_key_whose_plan_lost_api_access_is_refused_without_counting(key_pair, account):
    api_key, raw_key = key_pair
    client = client_for(raw_key)
    assert [client.get("/api/leads").status_code for _ in range(2)] == [200] * 2
    Plan.objects.filter(code="starter").update(api_keys_allowed=False)
    assert client.get("/api/leads").status_code == 403
    assert ratelimit.requests_this_window(account.pk) == 2


def test_each_request_costs_one_round_trip_to_redis(api_client, account):
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    api_client.get("/api/leads")
    before = redis.info("stats")["total_commands_processed"]
    assert api_client.get("/api/leads").status_code == 200
    commands = redis.info("stats")["total_commands_processed"] - before - 1  # less the INFO itself
    assert commands == 2  # INCR and EXPIRE, pipelined


def test_a_revoked_keys_refused_requests_do_not_count(key_pair, account):
    api_key, raw_key = key_pair
    client = client_for(raw_key)
    assert [client.get("/api/leads").status_code for _ in range(3)] == [200] * 3
    api_key.revoke()
    assert [client.get("/api/leads").status_code for _ in range(3)] == [401] * 3
    assert ratelimit.requests_this_window(account.pk) == 3


def test_requests_refused_for_the_plan_do_not_count(api_client, account):
    assert [api_client.get("/api/leads").status_code for _ in range(3)] == [200] * 3
    account.plan = Plan.objects.get(code="free")
    account.save()
    assert [api_client.get("/api/leads").status_code for _ in range(3)] == [403] * 3
    assert ratelimit.requests_this_window(account.pk) == 3


def test_another_accounts_requests_do_not_count_against_this_one(api_client, other_api_client, account, other_account):
    for _ in range(3):
        other_api_client.get("/api/leads")
    api_client.get("/api/leads")
    assert ratelimit.requests_this_window(account.pk) == 1
    assert ratelimit.requests_this_window(other_account.pk) == 3
