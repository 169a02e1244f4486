"""ApiKeyLookupMiddleware: with the shared cache, a known key's Redis lookup starts as the request
arrives and DRF's authentication finishes it. The request must come out exactly as if
authentication had made the lookup itself: counted once, refused when revoked, and not counted
when it never reaches authentication."""

from unittest import mock

import pytest
from rest_framework.test import APIClient

from api import ratelimit
from api.authentication import CountedLookup, start_lookup_for_header
from tests.api.factories import make_leads
from tests.apikeys.test_authentication import JUNK
from tests.conftest import requires_redis

pytestmark = [requires_redis, pytest.mark.usefixtures("shared_redis_cache", "fresh_minute")]


def counting_lookups():
    return mock.patch.object(CountedLookup, "__init__", autospec=True, side_effect=CountedLookup.__init__)


def test_a_known_keys_request_is_served_by_the_lookup_the_middleware_started(api_client, account):
    assert [api_client.get("/api/leads").status_code for _ in range(2)] == [200] * 2  # cached, account known
    started_in_middleware = []

    def record(header):
        lookup = start_lookup_for_header(header)
        started_in_middleware.append(lookup)
        return lookup

    with mock.patch("api.middleware.start_lookup_for_header", side_effect=record), counting_lookups() as made:
        assert [api_client.get("/api/leads").status_code for _ in range(3)] == [200] * 3
    assert made.call_count == 3  # one a request: authentication made none of its own
    assert len(started_in_middleware) == 3
    assert all(lookup is not None and lookup.done for lookup in started_in_middleware)
    assert ratelimit.requests_this_window(account.pk) == 5


def test_a_request_that_never_reaches_authentication_does_not_count(api_client, account):
    assert [api_client.get("/api/leads").status_code for _ in range(2)] == [200] * 2
    with counting_lookups() as made:
        assert api_client.get("/api/no-such-thing").status_code == 404
        assert api_client.get("/api/schema/").status_code == 200  # public: no authentication
    assert made.call_count == 2  # both were looked up early, then taken back
    assert ratelimit.requests_this_window(account.pk) == 2
    assert api_client.get("/api/leads").status_code == 200  # the connection still answers in order
    assert ratelimit.requests_this_window(account.pk) == 3


def test_a_key_revoked_since_its_last_request_is_refused_by_the_early_lookup(key_pair, api_client, account):
    api_key, _ = key_pair
    assert [api_client.get("/api/leads").status_code for _ in range(2)] == [200, 200]
    api_key.revoke()
    response = api_client.get("/api/leads")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert ratelimit.requests_this_window(account.pk) == 2


def test_a_header_the_middleware_does_not_read_still_authenticates_and_counts_once(raw_key, account):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer   {raw_key}")  # DRF-style whitespace, any case
    assert [client.get("/api/leads").status_code for _ in range(3)] == [200] * 3
    assert ratelimit.requests_this_window(account.pk) == 3


def test_each_keys_early_lookup_serves_its_own_account(
    api_client, other_api_client, account, other_account, chatbot, other_chatbot
):
    [mine] = make_leads(account, chatbot, 1)
    [theirs] = make_leads(other_account, other_chatbot, 1)
    for client in (api_client, other_api_client, api_client, other_api_client):  # both keys known
        client.get("/api/leads")
    with counting_lookups() as made:
        assert [lead["id"] for lead in api_client.get("/api/leads").json()["results"]] == [mine.pk]
        assert [lead["id"] for lead in other_api_client.get("/api/leads").json()["results"]] == [theirs.pk]
    assert made.call_count == 2
    assert ratelimit.requests_this_window(account.pk) == 3
    assert ratelimit.requests_this_window(other_account.pk) == 3


@pytest.mark.parametrize("authorization", [*JUNK.values(), "Bearer pivra_sk_" + "!" * 36, "bearer " + "x" * 45],
                         ids=[*JUNK.keys(), "right-length-not-base62", "right-length-no-prefix"])
def test_junk_after_a_known_key_is_a_clean_401_and_does_not_count(api_client, account, authorization):
    assert [api_client.get("/api/leads").status_code for _ in range(2)] == [200] * 2  # the middleware knows a key
    response = APIClient().get("/api/leads", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert ratelimit.requests_this_window(account.pk) == 2
