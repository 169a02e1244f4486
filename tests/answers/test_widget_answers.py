"""The widget answers through the same engine as the chat API."""

from chatbots.models import Message
from tests.widget.conftest import widget  # noqa: F401 (fixture)


def test_a_widget_message_with_a_model_configured_is_answered_by_the_model(widget, knowledge, model_server):
    model_server.reply = "Delivery to Canada takes about a week [1]."
    conversation_id = widget.start()["conversation"]["id"]
    response = widget.ask(conversation_id, "How long does delivery to Canada take?")
    assert response.status_code == 201
    reply = response.json()["reply"]
    assert reply["content"] == "Delivery to Canada takes about a week [1]."
    assert reply["cited_sources"] == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]
    assert len(model_server.requests) == 1
    assert Message.objects.get(pk=reply["id"]).engine == "llm"


def test_the_widget_gives_the_chatbots_fallback_answer_and_offers_the_lead_form(widget, chatbot, knowledge, model_server):
    chatbot.fallback_answer = "No idea, sorry."
    chatbot.save()
    conversation_id = widget.start()["conversation"]["id"]
    body = widget.ask(conversation_id, "Do you sell gift vouchers for birthdays?").json()
    assert body["reply"]["content"] == "No idea, sorry. Leave your details and the team will get back to you."
    assert body["offer_lead_form"] is True
    assert model_server.requests == []
