"""The embed key is the widget's only credential, and the widget's only: secret keys are refused
here, and embed keys are refused by the API."""

import pytest
from django.test import Client

from accounts.models import AuditEvent
from chatbots.models import Conversation, new_embed_key


def test_a_missing_embed_key_is_a_401(widget):
    response = widget.client.post("/widget/v1/conversations", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_embed_key"
    assert "X-Pivra-Embed-Key" in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'EmbedKey realm="widget"'


@pytest.mark.parametrize(
    "key",
    [
        "pivra_pk_",
        "pivra_pk_" + "A" * 36,  # well formed but for its checksum
        "pk_live_123",
        "pivra_pk_" + "é" * 36,
    ],
)
def test_a_malformed_embed_key_is_a_401_without_a_query(widget, key, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = widget.post("conversations", embed_key=key)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_embed_key"


def test_an_unknown_embed_key_is_a_401(widget, chatbot):
    response = widget.post("conversations", embed_key=new_embed_key())
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_embed_key"
    assert not Conversation.objects.exists()


def test_a_secret_key_is_refused_by_the_widget(widget, raw_key):
    response = widget.post("conversations", embed_key=raw_key)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "secret_key_not_allowed"
    assert "must never be used in a web page" in body["detail"]
    assert raw_key not in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_secret_key_is_refused_by_the_widget_even_beside_a_valid_embed_key(widget, raw_key):
    response = widget.post("conversations", headers={"Authorization": f"Bearer {raw_key}"})
    assert response.status_code == 401
    assert response.json()["code"] == "secret_key_not_allowed"


def test_the_embed_key_is_refused_on_the_api(chatbot):
    client = Client()
    response = client.get("/api/usage", headers={"Authorization": f"Bearer {chatbot.embed_key}"})
    assert response.status_code == 401
    assert response.json()["code"] == "embed_key_not_allowed"
    assert "for the chat widget only" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_embed_key_only_reaches_its_own_chatbot(widget, chatbot, other_chatbot):
    conversation_id = widget.start()["conversation"]["id"]
    assert Conversation.objects.get(pk=conversation_id).chatbot == chatbot
    response = widget.ask(conversation_id, "Hi", embed_key=other_chatbot.embed_key)
    assert response.status_code == 404


def test_a_regenerated_embed_key_refuses_the_old_one(widget, chatbot, alice_client):
    old_key = chatbot.embed_key
    conversation_id = widget.start()["conversation"]["id"]

    response = alice_client.post(f"/install/{chatbot.pk}/regenerate-embed-key/")
    assert response.status_code == 302

    chatbot.refresh_from_db()
    assert chatbot.embed_key != old_key
    refused = widget.ask(conversation_id, "Still there?", embed_key=old_key)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_embed_key"
    assert widget.ask(conversation_id, "Still there?", embed_key=chatbot.embed_key).status_code == 201
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EMBED_KEY_REGENERATED, target_id=chatbot.pk).exists()
