"""Key lifecycle, second part: where a key may be used from, its own rate limit with the RateLimit
header fields, and changing these on an existing key."""

import http_sf
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Membership
from apikeys.models import ApiKey
from tests.conftest import make_member
from usage import ratelimit

from .pages import SECURITY, keys_table

FROZEN_CLOCK = 1_800_000_000 + 19.5  # 19.5 s into a one-minute window: 41 s until the next


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: FROZEN_CLOCK)
    cache.clear()
    yield
    cache.clear()


def make_key(account, **options):
    return ApiKey.objects.create_key(account=account, label=options.pop("label", "Scoped"), **options)


def get(raw_key, path="/api/leads", ip="203.0.113.9", **headers):
    client = APIClient()
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw_key}", REMOTE_ADDR=ip, **headers)


def edit_url(api_key):
    return f"{SECURITY}keys/{api_key.pk}/edit/"


# Allowed IPs


@pytest.mark.parametrize("allowed, ip", [
    (["203.0.113.9"], "203.0.113.9"),
    (["203.0.113.0/24"], "203.0.113.200"),
    (["2001:db8::/32"], "2001:db8:1::7"),
    (["2001:db8::7"], "2001:db8::7"),
    (["203.0.113.9"], "::ffff:203.0.113.9"),  # an IPv4-mapped address matches its IPv4 form
])
def test_a_key_works_from_an_allowed_address(account, allowed, ip):
    _, raw_key = make_key(account, allowed_ips=allowed)
    assert get(raw_key, ip=ip).status_code == 200


@pytest.mark.parametrize("allowed, ip", [
    (["203.0.113.9"], "203.0.113.10"),
    (["203.0.113.0/24"], "198.51.100.1"),
    (["2001:db8::/32"], "2001:db9::1"),
    (["203.0.113.9"], "2001:db8::1"),
])
def test_a_key_from_another_address_gets_403_ip_not_allowed_naming_the_caller_not_the_list(account, allowed, ip):
    _, raw_key = make_key(account, allowed_ips=allowed)
    response = get(raw_key, ip=ip)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "ip_not_allowed"
    assert ip.split("::ffff:")[-1] in body["detail"]
    assert allowed[0] not in body["detail"]


def test_a_spoofed_forwarded_for_never_passes_the_allowlist(account, settings):
    _, raw_key = make_key(account, allowed_ips=["203.0.113.9"])
    settings.TRUSTED_PROXY_COUNT = 0
    assert get(raw_key, ip="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1  # the proxy appends what it saw; the client's own entry is ignored
    assert get(raw_key, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1").status_code == 403
    assert get(raw_key, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9").status_code == 200


def test_the_create_form_saves_allowed_ips_normalised(alice_client, account):
    response = alice_client.post(SECURITY, {
        "label": "Office", "allowed_ips": "203.0.113.9\n\n 198.51.100.0/24 \n2001:db8::/32\n::ffff:192.0.2.1",
    })
    assert response.status_code == 200
    assert ApiKey.objects.get(label="Office").allowed_ips == [
        "203.0.113.9", "198.51.100.0/24", "2001:db8::/32", "192.0.2.1",
    ]


@pytest.mark.parametrize("text, message", [
    ("203.0.113.9\n10.0.0.1/8", "Line 2 (“10.0.0.1/8”) has host bits set: did you mean 10.0.0.0/8?"),
    ("example.com", "Line 1 (“example.com”) is not an IP address or CIDR range."),
    ("203.0.113.9\n\n300.1.1.1", "Line 3 (“300.1.1.1”) is not an IP address or CIDR range."),
    ("\n".join(f"203.0.113.{i}" for i in range(51)), "Enter at most 50 addresses or ranges (there are 51)."),
])
def test_bad_allowed_ips_are_a_form_error_naming_the_line(alice_client, account, text, message):
    response = alice_client.post(SECURITY, {"label": "Office", "allowed_ips": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiKey.objects.filter(label="Office").exists()


# Rate limits and their header fields


def test_every_counted_response_carries_the_account_policy(account):
    _, raw_key = make_key(account)
    response = get(raw_key)
    assert response.status_code == 200
    assert http_sf.parse(response["RateLimit-Policy"].encode(), tltype="list") == [("account", {"q": 120, "w": 60})]
    assert http_sf.parse(response["RateLimit"].encode(), tltype="list") == [("account", {"r": 119, "t": 41})]


def test_a_key_with_its_own_limit_gets_both_policies_and_the_closest_to_exhaustion(account):
    _, raw_key = make_key(account, requests_per_minute=30)
    for _ in range(16):
        get(raw_key)
    response = get(raw_key)
    policies = http_sf.parse(response["RateLimit-Policy"].encode(), tltype="list")
    assert policies == [("account", {"q": 120, "w": 60}), ("key", {"q": 30, "w": 60})]
    assert http_sf.parse(response["RateLimit"].encode(), tltype="list") == [("key", {"r": 13, "t": 41})]


def test_a_key_over_its_own_limit_gets_429_while_the_accounts_other_keys_go_on(account):
    _, limited = make_key(account, label="Limited", requests_per_minute=2)
    _, other = make_key(account, label="Other")
    assert [get(limited).status_code for _ in range(3)] == [200, 200, 429]
    refused = get(limited)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "41"
    assert refused.json() == {"request_id": refused["X-Request-ID"],
        "detail": "Too many requests: this key allows 2 API requests a minute. Retry in 41 seconds.",
        "code": "rate_limited",
    }
    assert http_sf.parse(refused["RateLimit"].encode(), tltype="list") == [("key", {"r": 0, "t": 41})]
    assert get(other).status_code == 200


def test_the_plans_limit_still_holds_for_the_whole_account(account):
    account.plan.api_requests_per_minute = 3
    account.plan.save()
    _, first = make_key(account, label="First", requests_per_minute=3)
    _, second = make_key(account, label="Second")
    statuses = [get(first).status_code, get(second).status_code, get(first).status_code, get(second).status_code]
    assert statuses == [200, 200, 200, 429]
    assert "the Starter plan allows 3 API requests a minute" in get(first).json()["detail"]


def test_errors_after_authentication_carry_the_fields_too(account):
    _, raw_key = make_key(account)
    response = get(raw_key, "/api/leads/lead_00000000000000000000")
    assert response.status_code == 404
    assert "RateLimit" in response and "RateLimit-Policy" in response


def test_a_refused_key_is_not_counted_and_gets_no_fields(account):
    response = get("pivra_sk_" + "A" * 36)
    assert response.status_code == 401
    assert "RateLimit" not in response


def test_a_keys_limit_above_the_plans_is_a_form_error(alice_client, account):
    response = alice_client.post(SECURITY, {"label": "Greedy", "requests_per_minute": "121"})
    assert response.status_code == 400
    assert "Enter at most 120, the Starter plan&#x27;s limit for the whole account." in response.content.decode()


# Changing a key's settings


def test_an_owner_edits_a_keys_permissions_ips_and_limit_and_the_next_request_obeys(alice_client, account, alice):
    api_key, raw_key = make_key(account, label="CRM")
    assert get(raw_key).status_code == 200
    response = alice_client.post(edit_url(api_key), {
        "access": "restricted", "usage": "read", "allowed_ips": "203.0.113.0/24", "requests_per_minute": "10",
    })
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert (api_key.access, api_key.resource_levels, api_key.allowed_ips, api_key.requests_per_minute) == (
        "restricted", {"usage": "read"}, ["203.0.113.0/24"], 10,
    )
    assert get(raw_key).json()["code"] == "insufficient_permission"
    assert get(raw_key, "/api/usage").status_code == 200
    assert get(raw_key, "/api/usage", ip="198.51.100.1").json()["code"] == "ip_not_allowed"
    event = AuditEvent.objects.filter(account=account).order_by("-created_at").first()
    assert (event.action, event.actor, event.target_id) == ("api_key.updated", alice, api_key.pk)
    [row] = keys_table(alice_client.get(SECURITY))
    assert row["Permissions"] == "Restricted"


def test_the_edit_page_shows_the_current_settings(alice_client, account):
    api_key, _ = make_key(account, access="read_only", allowed_ips=["203.0.113.9"], requests_per_minute=5)
    page = alice_client.get(edit_url(api_key)).content.decode()
    assert '<option value="read_only" selected>Read only</option>' in page
    assert "203.0.113.9</textarea>" in page
    assert 'value="5"' in page


def test_an_invalid_edit_changes_nothing(alice_client, account):
    api_key, _ = make_key(account, label="CRM")
    response = alice_client.post(edit_url(api_key), {"allowed_ips": "nonsense"})
    assert response.status_code == 400
    api_key.refresh_from_db()
    assert api_key.allowed_ips == []


def test_a_member_cannot_edit_keys_and_another_accounts_key_is_not_found(bob_client, alice_client, account, other_account):
    api_key, _ = make_key(account)
    assert bob_client.post(edit_url(api_key), {"access": "read_only"}).status_code == 403
    others, _ = make_key(other_account)
    assert alice_client.get(edit_url(others)).status_code == 404
    api_key.refresh_from_db()
    assert api_key.access == "full"


def test_a_revoked_key_cannot_be_edited(alice_client, account, alice):
    api_key, _ = make_key(account)
    api_key.revoke(by=alice)
    assert alice_client.get(edit_url(api_key)).status_code == 404


# Failed keys from one address


def bad_key(n):
    return f"pivra_sk_{n:036d}"


def test_past_100_failed_keys_a_minute_an_address_gets_429_for_invalid_keys_but_valid_keys_still_work(account, settings):
    settings.API_FAILED_KEYS_PER_MINUTE = 100  # the default; tests/settings.py lifts it for the others
    _, valid = make_key(account)
    statuses = [get(bad_key(n)).status_code for n in range(100)]
    assert set(statuses) == {401}
    refused = get(bad_key(100))
    assert refused.status_code == 429
    assert refused.json() == {"request_id": refused["X-Request-ID"],
        "detail": "Too many invalid API keys from your address. Retry in 41 seconds.", "code": "rate_limited",
    }
    assert refused["Retry-After"] == "41"
    assert get(valid).status_code == 200
    assert get(bad_key(102), ip="198.51.100.1").status_code == 401  # another address is not affected


def test_the_failed_key_count_starts_again_the_next_minute(account, monkeypatch, settings):
    settings.API_FAILED_KEYS_PER_MINUTE = 2
    assert [get(bad_key(n)).status_code for n in range(3)] == [401, 401, 429]
    monkeypatch.setattr(ratelimit, "_now", lambda: FROZEN_CLOCK + 41)
    assert get(bad_key(4)).status_code == 401


def test_requests_refused_by_the_allowlist_or_permissions_use_up_nothing(account):
    account.plan.api_requests_per_minute = 3
    account.plan.save()
    _, leaked = make_key(account, label="Leaked", allowed_ips=["203.0.113.9"], access="read_only")
    _, other = make_key(account, label="Other")
    refused = [get(leaked, ip="198.51.100.1") for _ in range(5)]
    refused += [APIClient().post("/api/chatbots", {"name": "Bot"}, format="json",
                                 HTTP_AUTHORIZATION=f"Bearer {leaked}", REMOTE_ADDR="203.0.113.9") for _ in range(5)]
    assert {response.status_code for response in refused} == {403}
    assert [get(other).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_403_to_a_valid_key_says_where_its_limits_stand_without_counting(account):
    _, raw_key = make_key(account, access="read_only", allowed_ips=["203.0.113.9"], requests_per_minute=10)
    get(raw_key)
    refused_by_address = get(raw_key, ip="198.51.100.1")
    refused_by_permission = APIClient().post(
        "/api/chatbots", {"name": "Bot"}, format="json", HTTP_AUTHORIZATION=f"Bearer {raw_key}", REMOTE_ADDR="203.0.113.9"
    )
    for response in (refused_by_address, refused_by_permission):
        assert response.status_code == 403
        assert http_sf.parse(response["RateLimit-Policy"].encode(), tltype="list") == [
            ("account", {"q": 120, "w": 60}), ("key", {"q": 10, "w": 60}),
        ]
        assert http_sf.parse(response["RateLimit"].encode(), tltype="list") == [("key", {"r": 9, "t": 41})]
