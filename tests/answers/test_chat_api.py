"""POST /api/chatbots/{id}/chat: blocking and streamed answers, and everything refused before one."""

import pytest

from apikeys.models import ApiKey
from chatbots.models import Chatbot, Conversation, Message
from usage.models import MonthlyUsage

from .conftest import SHIPPING, key_client, parse_events

QUESTION = "How long does delivery to Canada take?"


def chat(client, chatbot, **body):
    return client.post(f"/api/chatbots/{chatbot.pk}/chat", {"message": QUESTION, **body}, format="json")


@pytest.fixture
def two_credits(account):
    account.plan.monthly_message_credits = 2
    account.plan.save()


def test_a_blocking_chat_answers_from_the_sources_and_starts_an_api_conversation(api_client, chatbot, knowledge):
    response = chat(api_client, chatbot, user_id="customer-1842")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    conversation = Conversation.objects.get(pk=body["conversation_id"])
    assert (conversation.channel, conversation.user_id, conversation.message_count) == ("api", "customer-1842", 2)
    reply = conversation.messages.get(role="assistant")
    assert body["message"] == {
        "id": reply.pk, "role": "assistant", "content": reply.content, "answered": True,
        "cited_sources": [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}],
        "created_at": reply.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert SHIPPING in reply.content


def test_a_conversation_continues_with_its_history_sent_to_the_model(api_client, chatbot, knowledge, model_server):
    model_server.reply = "About a week [1]."
    first = chat(api_client, chatbot).json()
    second = chat(api_client, chatbot, message="And by express shipping to Canada?", conversation_id=first["conversation_id"])
    assert second.status_code == 200
    assert second.json()["conversation_id"] == first["conversation_id"]
    assert [m["content"] for m in model_server.requests[-1]["messages"][1:]] == [
        QUESTION, "About a week [1].", "And by express shipping to Canada?",
    ]
    assert Conversation.objects.get().message_count == 4


def test_no_matching_source_gives_the_fallback_answer_unanswered(api_client, chatbot, knowledge, model_server):
    body = chat(api_client, chatbot, message="Do you sell gift vouchers for birthdays?").json()
    assert body["message"]["answered"] is False
    assert body["message"]["content"] == "Sorry, I couldn't find an answer to that."
    assert model_server.requests == []


def test_the_api_conversation_is_listed_with_channel_api(api_client, chatbot, knowledge):
    chat(api_client, chatbot, user_id="u-1")
    [listed] = api_client.get("/api/conversations").json()["results"]
    assert (listed["channel"], listed["user_id"]) == ("api", "u-1")


def test_a_chat_message_emits_message_created_like_a_widget_message(api_client, chatbot, knowledge, monkeypatch):
    from answers import engine

    emitted = []
    monkeypatch.setattr(engine, "emit", lambda account_id, type, data: emitted.append(type))
    chat(api_client, chatbot)
    assert emitted == ["conversation.started", "message.created", "message.created"]


def test_a_stream_sends_start_deltas_and_end_whose_deltas_make_the_stored_answer(
    api_client, chatbot, knowledge, model_server
):
    model_server.reply = "Delivery to Canada takes about a week [1], tracked [5]."
    response = chat(api_client, chatbot, stream=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-store" and response["X-Accel-Buffering"] == "no"
    events = parse_events(response)
    names = [name for name, _ in events]
    assert names[0] == "message.start" and names[-1] == "message.end"
    assert set(names[1:-1]) == {"message.delta"} and len(names) > 4
    start, end = events[0][1], events[-1][1]
    stored = Message.objects.get(pk=start["message_id"])
    assert "".join(data["text"] for name, data in events[1:-1]) == stored.content
    assert stored.content == "Delivery to Canada takes about a week [1], tracked ."
    assert start["conversation_id"] == end["conversation_id"] == stored.conversation_id
    assert end["message"]["id"] == stored.pk and end["message"]["content"] == stored.content
    assert end["message"]["cited_sources"] == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]


def test_accept_event_stream_asks_for_a_stream_too(api_client, chatbot, knowledge):
    response = api_client.post(
        f"/api/chatbots/{chatbot.pk}/chat", {"message": QUESTION}, format="json", HTTP_ACCEPT="text/event-stream"
    )
    events = parse_events(response)
    assert [name for name, _ in events] == ["message.start", "message.delta", "message.end"]
    assert SHIPPING in events[1][1]["text"]


def test_a_stream_whose_model_fails_midway_ends_with_an_error_event(api_client, chatbot, knowledge, model_server):
    model_server.reply, model_server.fail_after = "About a week, tracked [1].", 2
    events = parse_events(chat(api_client, chatbot, stream=True))
    assert [name for name, _ in events] == ["message.start", "message.delta", "message.delta", "error"]
    assert events[-1][1]["code"] == "generation_failed"


def test_refusals_to_a_stream_request_are_json(api_client, chatbot, knowledge):
    chatbot.status = Chatbot.Status.PAUSED
    chatbot.save()
    response = api_client.post(
        f"/api/chatbots/{chatbot.pk}/chat", {"message": QUESTION}, format="json", HTTP_ACCEPT="text/event-stream"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "chatbot_paused"


def test_a_paused_chatbot_is_a_409_and_nothing_is_stored(api_client, chatbot, knowledge):
    chatbot.status = Chatbot.Status.PAUSED
    chatbot.save()
    response = chat(api_client, chatbot)
    assert response.status_code == 409
    assert response.json()["code"] == "chatbot_paused"
    assert not Conversation.objects.exists()


def test_without_credits_it_is_a_402_before_any_model_call(api_client, chatbot, knowledge, model_server, two_credits):
    assert chat(api_client, chatbot).status_code == 200
    assert chat(api_client, chatbot).status_code == 200
    calls = len(model_server.requests)
    response = chat(api_client, chatbot)
    assert response.status_code == 402
    assert response.json()["code"] == "credits_exhausted"
    assert len(model_server.requests) == calls
    assert MonthlyUsage.objects.get().messages == 2
    assert Conversation.objects.count() == 2  # the refused one was not kept


def test_another_accounts_chatbot_is_a_404(other_api_client, chatbot, knowledge):
    response = chat(other_api_client, chatbot)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "request_id": response["X-Request-ID"]}
    assert not Conversation.objects.exists()


def test_another_accounts_conversation_is_a_404(api_client, other_api_client, chatbot, other_chatbot, knowledge):
    theirs = other_api_client.post(f"/api/chatbots/{other_chatbot.pk}/chat", {"message": "Hi there, what about refunds?"}, format="json")
    response = chat(api_client, chatbot, conversation_id=theirs.json()["conversation_id"])
    assert response.status_code == 404


def test_a_widget_conversation_cannot_be_continued_over_the_api(api_client, chatbot, knowledge):
    from widget.services import start_conversation

    conversation, _ = start_conversation(chatbot=chatbot)
    assert chat(api_client, chatbot, conversation_id=conversation.pk).status_code == 404


def test_a_conversations_user_id_is_fixed(api_client, chatbot, knowledge):
    first = chat(api_client, chatbot, user_id="u-1").json()
    assert chat(api_client, chatbot, user_id="u-1", conversation_id=first["conversation_id"]).status_code == 200
    assert chat(api_client, chatbot, conversation_id=first["conversation_id"]).status_code == 200
    response = chat(api_client, chatbot, user_id="u-2", conversation_id=first["conversation_id"])
    assert response.status_code == 400
    assert "user_id" in response.json()


@pytest.mark.parametrize("body", [
    {}, {"message": ""}, {"message": "   "}, {"message": "x" * 4001}, {"message": ["a"]}, {"message": "a\u0000b"},
    {"message": "hi", "conversation_id": "conv_nope"}, {"message": "hi", "user_id": "u" * 129},
    {"message": "hi", "stream": "sometimes"}, {"message": "hi", "user_id": {"a": 1}},
])
def test_malformed_bodies_are_a_400(api_client, chatbot, body):
    response = api_client.post(f"/api/chatbots/{chatbot.pk}/chat", body, format="json")
    assert response.status_code == 400, response.content
    assert not Message.objects.exists()


def test_a_lone_surrogate_is_a_400(api_client, chatbot):
    body = '{"message": "delivery \\ud800 Canada"}'
    response = api_client.post(f"/api/chatbots/{chatbot.pk}/chat", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "message" in response.json()


def test_a_key_without_chat_write_is_refused(account, alice, chatbot, knowledge):
    reader = key_client(account, alice, "Reader", access=ApiKey.Access.RESTRICTED, resource_levels={"chat": "read", "chatbots": "write"})
    response = chat(reader, chatbot)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_permission"
    assert "chat:write" in response.json()["detail"]
    writer = key_client(account, alice, "Writer", access=ApiKey.Access.RESTRICTED, resource_levels={"chat": "write"})
    assert chat(writer, chatbot).status_code == 200


def test_the_chat_path_answers_with_a_trailing_slash_and_only_to_post(api_client, chatbot, knowledge):
    assert api_client.post(f"/api/chatbots/{chatbot.pk}/chat/", {"message": QUESTION}, format="json").status_code == 200
    assert api_client.get(f"/api/chatbots/{chatbot.pk}/chat").status_code == 405
