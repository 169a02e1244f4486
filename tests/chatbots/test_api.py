import pytest

from accounts.models import Plan
from accounts.tokens import is_well_formed
from chatbots.models import Chatbot

from tests.factories import make_text_source


def test_creating_a_chatbot_needs_only_a_name_and_gives_it_an_embed_key(api_client, account):
    response = api_client.post("/api/chatbots", {"name": "Support bot"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("bot_")
    assert body["name"] == "Support bot"
    assert is_well_formed(body["embed_key"], "pivra_pk_")
    assert body["allowed_domains"] == []
    assert body["source_count"] == 0 and body["knowledge_characters"] == 0
    assert Chatbot.objects.get(pk=body["id"]).account == account


def test_a_chatbot_shows_its_source_count_and_knowledge_characters(api_client, chatbot):
    make_text_source(chatbot, content="a" * 40)
    make_text_source(chatbot, content="b" * 2)
    body = api_client.get(f"/api/chatbots/{chatbot.pk}").json()
    assert body["source_count"] == 2
    assert body["knowledge_characters"] == 42
    listed = api_client.get("/api/chatbots").json()["results"][0]
    assert (listed["source_count"], listed["knowledge_characters"]) == (2, 42)


def test_patch_changes_only_the_given_fields(api_client, chatbot):
    response = api_client.patch(
        f"/api/chatbots/{chatbot.pk}",
        {"welcome_message": "Hello!", "allowed_domains": ["Example.com", "shop.example.com"]},
        format="json",
    )
    assert response.status_code == 200
    chatbot.refresh_from_db()
    assert chatbot.name == "Support bot"
    assert chatbot.welcome_message == "Hello!"
    assert chatbot.allowed_domains == ["example.com", "shop.example.com"]


def test_the_embed_key_cannot_be_set_by_the_client(api_client, chatbot):
    original = chatbot.embed_key
    api_client.patch(f"/api/chatbots/{chatbot.pk}", {"embed_key": "pivra_pk_mine"}, format="json")
    chatbot.refresh_from_db()
    assert chatbot.embed_key == original


def test_deleting_a_chatbot_removes_it(api_client, chatbot):
    assert api_client.delete(f"/api/chatbots/{chatbot.pk}").status_code == 204
    assert not Chatbot.objects.filter(pk=chatbot.pk).exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5, "allowed_domains": "example.com"}, "allowed_domains"),
        ({"name": "Bot", "allowed_domains": ["https://example.com/path"]}, "allowed_domains"),
        ({"name": "Bot", "allowed_domains": [None]}, "allowed_domains"),
        ({"name": "Bot", "status": "exploded"}, "status"),
        ({"name": "Bot", "lead_capture_enabled": "perhaps"}, "lead_capture_enabled"),
    ],
)
def test_invalid_chatbot_fields_are_a_400_naming_the_field(api_client, account, payload, field):
    response = api_client.post("/api/chatbots", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Chatbot.objects.for_account(account).exists()


def test_the_plans_chatbot_limit_is_enforced(api_client, account):
    account.plan = Plan.objects.get(code="starter")  # 3 chatbots
    for name in ("One", "Two", "Three"):
        assert api_client.post("/api/chatbots", {"name": name}, format="json").status_code == 201
    response = api_client.post("/api/chatbots", {"name": "Four"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Your Starter plan allows 3 chatbot(s). Delete one or upgrade to add more."]
    }
    assert Chatbot.objects.for_account(account).count() == 3


def test_put_is_not_offered(api_client, chatbot):
    assert api_client.put(f"/api/chatbots/{chatbot.pk}", {"name": "X"}, format="json").status_code == 405
