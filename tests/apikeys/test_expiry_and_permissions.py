"""Key lifecycle, first part: keys that expire, and keys limited to reading or to some resources."""

from datetime import datetime, time, timedelta, timezone as dt_timezone

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.models import RESOURCES, ApiKey
from tests.factories import make_leads
from pivra.urls import router

from .pages import SECURITY, keys_table, the_new_key


def client_with(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def make_key(account, **options):
    return ApiKey.objects.create_key(account=account, label=options.pop("label", "Scoped"), **options)


def today_utc():
    return timezone.now().astimezone(dt_timezone.utc).date()


# Expiry: the create form


@pytest.mark.parametrize("choice, days", [("30", 30), ("60", 60), ("90", 90), ("365", 365)])
def test_a_key_created_to_expire_after_a_period_expires_then(alice_client, account, choice, days):
    response = alice_client.post(SECURITY, {"label": "Trial sync", "expires": choice})
    assert response.status_code == 200
    the_new_key(response)
    api_key = ApiKey.objects.get(account=account, label="Trial sync")
    assert abs(api_key.expires_at - (timezone.now() + timedelta(days=days))) < timedelta(minutes=1)
    [row] = keys_table(alice_client.get(SECURITY))
    assert row["Expires"].endswith(f"(in {days} days)")


def test_a_key_without_expiry_says_never(alice_client, account):
    alice_client.post(SECURITY, {"label": "Forever", "expires": "never"})
    assert ApiKey.objects.get(label="Forever").expires_at is None
    [row] = keys_table(alice_client.get(SECURITY))
    assert row["Expires"] == "Never"


def test_a_custom_expiry_date_stops_the_key_at_the_start_of_that_day(alice_client, account):
    date = today_utc() + timedelta(days=10)
    response = alice_client.post(SECURITY, {"label": "Campaign", "expires": "custom", "expiry_date": date.isoformat()})
    assert response.status_code == 200
    assert ApiKey.objects.get(label="Campaign").expires_at == datetime.combine(date, time.min, tzinfo=dt_timezone.utc)


@pytest.mark.parametrize("offset_days", [0, -3, 366])
def test_a_custom_date_that_is_past_or_beyond_a_year_is_a_form_error(alice_client, account, offset_days):
    date = today_utc() + timedelta(days=offset_days)
    response = alice_client.post(SECURITY, {"label": "Campaign", "expires": "custom", "expiry_date": date.isoformat()})
    assert response.status_code == 400
    assert "Choose a date after today and at most one year ahead." in response.content.decode()
    assert not ApiKey.objects.filter(label="Campaign").exists()


def test_a_custom_expiry_needs_a_date(alice_client, account):
    response = alice_client.post(SECURITY, {"label": "Campaign", "expires": "custom"})
    assert response.status_code == 400
    assert "Choose the date the key stops working." in response.content.decode()


# Expiry: the API


def test_an_expired_key_gets_401_key_expired_with_a_masked_echo(account):
    api_key, raw_key = make_key(account, expires_at=timezone.now() + timedelta(days=1))
    assert client_with(raw_key).get("/api/leads").status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client_with(raw_key).get("/api/leads")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "key_expired"
    assert f"pivra_sk_…{raw_key[-4:]}" in body["detail"] and "Settings → Security" in body["detail"]
    assert raw_key not in response.content.decode()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_key_stays_listed_as_expired_until_revoked(alice_client, account):
    api_key, _ = make_key(account, label="Old sync", expires_at=timezone.now() + timedelta(days=1))
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=datetime(2026, 1, 31, tzinfo=dt_timezone.utc))
    [row] = keys_table(alice_client.get(SECURITY))
    assert row["Expires"] == "Expired on 2026-01-31"
    assert row["Status"] == "Expired"
    assert "Revoke" in row["Actions"]


# Permissions: the create form


def test_the_keys_table_shows_each_keys_permissions_in_a_word(alice_client, account):
    alice_client.post(SECURITY, {"label": "Everything"})
    alice_client.post(SECURITY, {"label": "Dashboard", "access": "read_only"})
    alice_client.post(SECURITY, {"label": "CRM", "access": "restricted", "leads": "read"})
    rows = {row["Label"]: row["Permissions"] for row in keys_table(alice_client.get(SECURITY))}
    assert rows == {"Everything": "Full access", "Dashboard": "Read only", "CRM": "Restricted"}
    assert ApiKey.objects.get(label="CRM").resource_levels == {"leads": "read"}


def test_a_restricted_key_needs_at_least_one_permission(alice_client, account):
    response = alice_client.post(SECURITY, {"label": "Nothing", "access": "restricted"})
    assert response.status_code == 400
    assert "Give a restricted key Read or Write on at least one resource." in response.content.decode()
    assert not ApiKey.objects.filter(label="Nothing").exists()


def test_the_create_form_offers_a_select_per_resource(alice_client):
    page = alice_client.get(SECURITY).content.decode()
    for label in ["Expires", "Expiry date", "Permissions", "Chatbots", "Sources", "Conversations", "Leads", "Usage", "Chat"]:
        assert f">{label}</label>" in page


# Permissions: the API

# One request a resource and way: (resource, method, path). Ids that do not exist: the permission
# is checked before any object is looked up, so a refused write is a 403, never a 404.
REQUESTS = [
    ("leads", "get", "/api/leads"),
    ("leads", "get", "/api/leads/lead_00000000000000000000"),
    ("leads", "delete", "/api/leads/lead_00000000000000000000"),
    ("conversations", "get", "/api/conversations"),
    ("chatbots", "get", "/api/chatbots"),
    ("chatbots", "post", "/api/chatbots"),
    ("chatbots", "patch", "/api/chatbots/bot_00000000000000000000"),
    ("chatbots", "delete", "/api/chatbots/bot_00000000000000000000"),
    ("sources", "get", "/api/sources"),
    ("sources", "post", "/api/sources"),
    ("sources", "delete", "/api/sources/src_00000000000000000000"),
    ("usage", "get", "/api/usage"),
]


def expected_refusal(levels, resource, method):
    level = levels.get(resource, "none")
    allowed = level == "write" or (level == "read" and method == "get")
    return None if allowed else f"{resource}:{'read' if method == 'get' else 'write'}"


@pytest.mark.parametrize("levels", [
    {},  # Read only (below) is {resource: "read"} for all
    {"leads": "read"},
    {"leads": "write", "usage": "read"},
    {"chatbots": "write", "sources": "read", "conversations": "read"},
    {resource: "read" for resource in RESOURCES},
])
@pytest.mark.parametrize("resource, method, path", REQUESTS)
def test_a_restricted_key_reaches_only_what_its_permissions_allow(account, levels, resource, method, path):
    access = ApiKey.Access.RESTRICTED if levels else ApiKey.Access.READ_ONLY
    _, raw_key = make_key(account, access=access, resource_levels=levels)
    effective = levels or {name: "read" for name in RESOURCES}
    response = getattr(client_with(raw_key), method)(path, {}, format="json")
    needed = expected_refusal(effective, resource, method)
    if needed is None:
        assert response.status_code != 403, response.content
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_permission"
        assert f"it needs {needed}." in response.json()["detail"]


def test_a_full_access_key_reaches_everything(api_client):
    for _resource, method, path in REQUESTS:
        response = getattr(api_client, method)(path, {}, format="json")
        assert response.status_code != 403, (method, path, response.content)


def test_a_read_only_key_lists_leads_but_cannot_delete_one(account, chatbot):
    [lead] = make_leads(account, chatbot, 1)
    _, raw_key = make_key(account, access=ApiKey.Access.READ_ONLY)
    client = client_with(raw_key)
    assert [item["id"] for item in client.get("/api/leads").json()["results"]] == [lead.pk]
    assert client.delete(f"/api/leads/{lead.pk}").status_code == 403
    assert client.get(f"/api/leads/{lead.pk}").status_code == 200


def test_every_api_view_names_a_resource_a_key_can_be_given():
    """Otherwise only Full access keys could use it, which a new endpoint should decide on purpose."""
    # Subscribing a webhook sends every later event of its types out, whatever resource they
    # belong to: no Restricted or Read only key may do it.
    full_access_only = {"WebhookEndpointViewSet"}
    for _prefix, viewset, _basename in router.registry:
        if viewset.__name__ in full_access_only:
            continue
        assert getattr(viewset, "api_resource", None) in RESOURCES, viewset.__name__
