"""/api/webhook-endpoints: integrations subscribe themselves; scoped to the key's account; the
secret in the POST answer only; URLs Pivra would not send to are refused with a 400."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Plan
from apikeys.models import ApiKey
from webhooks.delivery import PLAIN_HTTP, REFUSALS
from webhooks.models import DEFAULT_EVENT_TYPES, MAX_ENDPOINTS_PER_ACCOUNT, WebhookEndpoint

URL = "https://hooks.customer.example/pivra"
FIELDS = {"id", "url", "events", "status", "created_at"}


@pytest.fixture(autouse=True)
def public_host(dns):
    names, _ = dns
    names["hooks.customer.example"] = ["93.184.215.34"]
    names["intranet.customer.example"] = ["10.1.2.3"]
    return dns


def create(client, **body):
    return client.post("/api/webhook-endpoints", {"url": URL, **body}, format="json")


def test_creating_answers_201_with_the_endpoint_and_its_secret(api_client, account):
    response = create(api_client, events=["lead.created", "lead.updated"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS | {"secret"}
    endpoint = WebhookEndpoint.objects.for_account(account).get()
    assert (body["id"], body["url"], body["events"], body["status"]) == (endpoint.pk, URL, ["lead.created", "lead.updated"], "enabled")
    assert body["secret"] == endpoint.secret
    assert body["secret"].startswith("whsec_")
    assert response["Cache-Control"] == "no-store"


def test_the_secret_is_in_no_other_answer(api_client):
    endpoint_id = create(api_client).json()["id"]
    answers = [
        api_client.get("/api/webhook-endpoints").json()["results"][0],
        api_client.get(f"/api/webhook-endpoints/{endpoint_id}").json(),
        api_client.patch(f"/api/webhook-endpoints/{endpoint_id}", {"events": ["lead.deleted"]}, format="json").json(),
    ]
    assert [set(answer) for answer in answers] == [FIELDS] * 3


def test_events_default_to_all_but_message_created(api_client):
    assert create(api_client).json()["events"] == DEFAULT_EVENT_TYPES


def test_events_are_kept_once_each_in_the_catalogues_order(api_client):
    events = ["source.failed", "lead.created", "source.failed"]
    assert create(api_client, events=events).json()["events"] == ["lead.created", "source.failed"]


@pytest.mark.parametrize("events", [[], ["lead.exploded"], "lead.created", [None]])
def test_unknown_or_no_events_are_a_400(api_client, events):
    response = create(api_client, events=events)
    assert response.status_code == 400
    assert "events" in response.json()


@pytest.mark.parametrize("url, message", [
    ("https://intranet.customer.example/hook", REFUSALS["private"]),
    ("https://127.0.0.1/hook", REFUSALS["private"]),
    ("https://169.254.169.254/latest/meta-data/", REFUSALS["private"]),
    ("https://[::1]/hook", REFUSALS["private"]),
    ("http://hooks.customer.example/pivra", PLAIN_HTTP),
    ("ftp://hooks.customer.example/pivra", REFUSALS["scheme"]),
    ("https://user:pw@hooks.customer.example/pivra", REFUSALS["credentials"]),
    ("https://nowhere.invalid/hook", REFUSALS["unknown_host"]),
    ("not a url", REFUSALS["scheme"]),
    ("https://[::1/hook", REFUSALS["invalid"]),  # a malformed IPv6 host: a 400, not a 500
])
def test_a_url_pivra_would_not_send_to_is_a_400_saying_why(api_client, url, message):
    response = create(api_client, url=url)
    assert response.status_code == 400
    assert response.json() == {"url": [message]}
    assert not WebhookEndpoint.objects.exists()


def test_a_url_longer_than_2000_characters_is_a_400(api_client):
    response = create(api_client, url=URL + "?" + "x" * 2000)
    assert response.status_code == 400
    assert "url" in response.json()


def test_plain_http_is_allowed_in_development(api_client, settings):
    settings.DEBUG = True
    assert create(api_client, url="http://hooks.customer.example/pivra").status_code == 201


def test_plain_http_is_allowed_for_an_allowlisted_private_host(api_client, settings):
    settings.OUTBOUND_PRIVATE_ALLOWLIST = ["127.0.0.1:8080"]
    assert create(api_client, url="http://127.0.0.1:8080/hook").status_code == 201


def test_patch_changes_the_url_and_events_and_checks_the_url_again(api_client):
    endpoint_id = create(api_client).json()["id"]
    path = f"/api/webhook-endpoints/{endpoint_id}"
    changed = api_client.patch(path, {"url": "https://hooks.customer.example/v2", "events": ["lead.deleted"]}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["url"], changed.json()["events"]) == ("https://hooks.customer.example/v2", ["lead.deleted"])
    refused = api_client.patch(path, {"url": "https://intranet.customer.example/"}, format="json")
    assert refused.status_code == 400
    assert WebhookEndpoint.objects.get().url == "https://hooks.customer.example/v2"


def test_patch_status_disables_and_enables_again_with_a_fresh_start(api_client):
    endpoint_id = create(api_client).json()["id"]
    path = f"/api/webhook-endpoints/{endpoint_id}"
    assert api_client.patch(path, {"status": "disabled"}, format="json").json()["status"] == "disabled"
    WebhookEndpoint.objects.update(failing_since="2026-01-01T00:00:00Z")
    assert api_client.patch(path, {"status": "enabled"}, format="json").json()["status"] == "enabled"
    assert WebhookEndpoint.objects.get().failing_since is None
    assert api_client.patch(path, {"status": "paused"}, format="json").status_code == 400


def test_delete_unsubscribes(api_client):
    endpoint_id = create(api_client).json()["id"]
    assert api_client.delete(f"/api/webhook-endpoints/{endpoint_id}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_another_accounts_endpoint_is_a_404_for_every_method(other_api_client, api_client):
    endpoint_id = create(api_client).json()["id"]
    path = f"/api/webhook-endpoints/{endpoint_id}"
    for method in ("get", "patch", "delete"):
        response = getattr(other_api_client, method)(path, {"status": "disabled"}, format="json")
        assert response.status_code == 404, method
        assert response.json() == {"request_id": response["X-Request-ID"], "detail": "Not found.", "code": "not_found"}
    assert other_api_client.get("/api/webhook-endpoints").json()["results"] == []
    assert WebhookEndpoint.objects.get().status == "enabled"


def test_an_account_has_at_most_20_endpoints(api_client, account):
    for number in range(MAX_ENDPOINTS_PER_ACCOUNT):
        WebhookEndpoint.objects.create(account=account, url=f"{URL}/{number}", events=["lead.created"])
    response = create(api_client)
    assert response.status_code == 400
    assert "at most 20 webhook endpoints" in response.json()["non_field_errors"][0]


def test_a_read_only_key_cannot_touch_webhook_endpoints(account, alice):
    _, raw_key = ApiKey.objects.create_key(
        account=account, label="Dashboard", created_by=alice, access=ApiKey.Access.READ_ONLY
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    for response in (client.get("/api/webhook-endpoints"), create(client)):
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_permission"


def test_the_free_plan_gets_the_same_403_as_the_rest_of_the_api(api_client, account):
    account.plan = Plan.objects.get(code="free")
    account.save()
    response = create(api_client)
    assert response.status_code == 403
    assert response.json()["code"] == "plan_not_allowed"
    assert not WebhookEndpoint.objects.exists()
