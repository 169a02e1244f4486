"""Nothing of one account is reachable with another account's key, on any API route."""

import pytest
from django.urls import get_resolver

from api.scoping import AccountScopedViewSet
from pivra.urls import router
from chatbots.models import Chatbot, Conversation
from leads.models import Lead
from sources.models import Source
from webhooks.models import WebhookEndpoint

from tests.factories import make_conversation, make_leads, make_text_source


@pytest.fixture
def first_accounts_data(account, chatbot):
    return {
        "chatbots": chatbot,
        "sources": make_text_source(chatbot),
        "conversations": make_conversation(chatbot, [("user", "Private question", [])]),
        "leads": make_leads(account, chatbot, 1)[0],
        "webhook-endpoints": WebhookEndpoint.objects.create(
            account=account, url="https://hooks.example.com/pivra", events=["lead.created"]
        ),
    }


def snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Chatbot, Source, Conversation, Lead, WebhookEndpoint)
    }


def test_every_registered_api_viewset_derives_its_queryset_from_the_account_scope():
    for prefix, viewset, basename in router.registry:
        assert issubclass(viewset, AccountScopedViewSet), prefix
        assert viewset.get_queryset is AccountScopedViewSet.get_queryset, prefix


def test_a_viewset_that_replaces_the_scoped_queryset_is_refused():
    with pytest.raises(TypeError):
        type("Leaky", (AccountScopedViewSet,), {"get_queryset": lambda self: Lead.objects.all()})


def test_another_accounts_key_sees_and_changes_nothing_on_any_route(
    first_accounts_data, other_api_client, api_client
):
    before = snapshot()
    for prefix, viewset, basename in router.registry:
        target = first_accounts_data[prefix]
        listed = other_api_client.get(f"/api/{prefix}")
        assert listed.status_code == 200, prefix
        assert listed.json()["results"] == [], prefix
        detail = f"/api/{prefix}/{target.pk}"
        for method in ("get", "patch", "put", "delete"):
            response = getattr(other_api_client, method)(detail, {"name": "hijacked"}, format="json")
            assert response.status_code in (404, 405), (prefix, method, response.status_code)
            if response.status_code == 404:
                assert response.json() == {"request_id": response["X-Request-ID"], "detail": "Not found.", "code": "not_found"}
        assert api_client.get(detail).status_code == 200, prefix  # the owner still sees it
    assert snapshot() == before
    assert Chatbot.objects.get(pk=first_accounts_data["chatbots"].pk).name == "Support bot"


def test_usage_for_another_accounts_chatbot_is_refused(other_api_client, chatbot):
    response = other_api_client.get("/api/usage", {"chatbot": chatbot.pk})
    assert response.status_code == 400
    assert "chatbot" in response.json()


@pytest.mark.parametrize(
    "path", ["/api/leads", "/api/conversations", "/api/chatbots", "/api/sources", "/api/webhook-endpoints", "/api/usage"]
)
def test_every_path_answers_with_and_without_a_trailing_slash_and_never_redirects(api_client, path):
    assert api_client.get(path).status_code == 200
    assert api_client.get(path + "/").status_code == 200


def test_unknown_ids_are_a_json_404(api_client):
    for path in ("/api/leads/lead_nope", "/api/chatbots/bot_nope/", "/api/sources/src_x"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_the_api_urls_are_all_under_the_scoped_router_or_usage():
    api_patterns = [p for p in get_resolver().url_patterns if str(p.pattern).startswith("api/")]
    assert len(api_patterns) == 1
