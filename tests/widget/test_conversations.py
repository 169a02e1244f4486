"""Conversations through /widget/v1/: start, continue, and replies built from the chatbot's sources."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatbots.models import Conversation, Message
from sources.models import Source

from .conftest import OPENING, RETURNS, SHIPPING, make_source


def test_the_widget_reads_the_chatbots_welcome_and_lead_form_without_starting_a_conversation(widget, chatbot):
    chatbot.lead_collect_name = False
    chatbot.save()
    response = widget.get("chatbot")
    assert response.status_code == 200
    assert response.json() == {
        "chatbot": {
            "name": "Support bot",
            "welcome_message": "Hi! How can I help you today?",
            "lead_capture": {"enabled": True, "fields": ["email"]},
        }
    }
    assert response["Access-Control-Allow-Origin"] == widget.origin
    assert not Conversation.objects.exists()


def test_reading_the_chatbot_needs_its_embed_key_and_an_allowed_origin(widget, chatbot):
    assert widget.get("chatbot", embed_key="pivra_pk_nope").status_code == 401
    chatbot.allowed_domains = ["shop.example.com"]
    chatbot.save()
    assert widget.get("chatbot", origin="https://evil.example.org").status_code == 403


def test_starting_a_conversation_returns_it_with_the_chatbots_welcome_and_lead_form(widget, chatbot):
    chatbot.welcome_message = "Hello! Ask me about our shop."
    chatbot.lead_collect_phone = True
    chatbot.save()
    response = widget.post("conversations", {"visitor_id": "v-123"})
    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get(pk=body["conversation"]["id"])
    assert conversation.chatbot == chatbot and conversation.account == chatbot.account
    assert conversation.channel == "widget" and conversation.visitor_id == "v-123"
    assert body["chatbot"] == {
        "name": "Support bot",
        "welcome_message": "Hello! Ask me about our shop.",
        "lead_capture": {"enabled": True, "fields": ["name", "email", "phone"]},
    }
    assert body["messages"] == []
    assert response["Cache-Control"] == "no-store"


def test_a_conversation_over_several_messages_is_answered_from_the_matching_sources(widget, chatbot, knowledge):
    conversation_id = widget.start()["conversation"]["id"]

    first = widget.ask(conversation_id, "How long does delivery to Canada take?")
    assert first.status_code == 201
    reply = first.json()["reply"]
    assert SHIPPING in reply["content"]
    assert RETURNS not in reply["content"]
    assert reply["cited_sources"] == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]

    second = widget.ask(conversation_id, "Can I get a refund if I return an item?").json()["reply"]
    assert RETURNS in second["content"]
    assert second["cited_sources"] == [{"id": knowledge["returns"].pk, "title": "Returns"}]

    third = widget.ask(conversation_id, "When is the Lisbon shop open?").json()["reply"]
    assert OPENING in third["content"]
    assert third["cited_sources"] == [{"id": knowledge["opening"].pk, "title": "Opening hours"}]

    stored = list(Conversation.objects.get(pk=conversation_id).messages.values_list("role", "content"))
    assert [role for role, _ in stored] == ["user", "assistant"] * 3
    assert stored[0][1] == "How long does delivery to Canada take?"
    assert stored[1][1] == reply["content"]
    assert Message.objects.get(pk=reply["id"]).cited_sources == reply["cited_sources"]


def test_each_message_updates_the_conversations_count_and_last_message_time(widget, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "Do you ship to Canada?")
    reply = widget.ask(conversation_id, "What about refunds?").json()["reply"]
    conversation = Conversation.objects.get(pk=conversation_id)
    assert conversation.message_count == 4
    assert conversation.last_message_at == Message.objects.get(pk=reply["id"]).created_at


def test_the_answer_quotes_the_matching_passage_of_a_long_source_not_the_whole_source(widget, chatbot):
    filler = [f"Paragraph {i} is about our company history and values, told at some length. " * 4 for i in range(6)]
    warranty = "Every bicycle comes with a two-year warranty on the frame and the gears."
    source = make_source(chatbot, "Handbook", "\n\n".join([*filler[:3], warranty, *filler[3:]]))
    conversation_id = widget.start()["conversation"]["id"]
    reply = widget.ask(conversation_id, "Is there a warranty on the bicycle frame?").json()["reply"]
    assert warranty in reply["content"]
    assert "company history" not in reply["content"]
    assert reply["cited_sources"] == [{"id": source.pk, "title": "Handbook"}]


def test_a_qa_source_answers_with_its_answer(widget, chatbot):
    faq = make_source(chatbot, "Do you offer gift wrapping?", "Yes, gift wrapping is free at checkout.", type=Source.Type.QA)
    conversation_id = widget.start()["conversation"]["id"]
    reply = widget.ask(conversation_id, "Do you do gift wrapping?").json()["reply"]
    assert reply["content"] == "Yes, gift wrapping is free at checkout."
    assert reply["cited_sources"] == [{"id": faq.pk, "title": "Do you offer gift wrapping?"}]


def test_when_nothing_matches_the_bot_says_so_and_offers_the_lead_form(widget, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    response = widget.ask(conversation_id, "Do you sell gift cards for birthdays?")
    assert response.status_code == 201
    body = response.json()
    assert body["reply"]["content"] == (
        "Sorry, I couldn't find an answer to that. Leave your details and the team will get back to you."
    )
    assert body["reply"]["cited_sources"] == []
    assert body["offer_lead_form"] is True


def test_a_match_does_not_offer_the_lead_form(widget, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    assert widget.ask(conversation_id, "How long is shipping?").json()["offer_lead_form"] is False


def test_without_lead_capture_the_no_match_reply_does_not_offer_a_form(widget, chatbot, knowledge):
    chatbot.lead_capture_enabled = False
    chatbot.save()
    conversation_id = widget.start()["conversation"]["id"]
    body = widget.ask(conversation_id, "Do you sell gift cards for birthdays?").json()
    assert body["reply"]["content"] == "Sorry, I couldn't find an answer to that."
    assert body["offer_lead_form"] is False


@pytest.mark.parametrize("status", [Source.Status.PENDING, Source.Status.PROCESSING, Source.Status.FAILED])
def test_sources_that_are_not_ready_are_not_used(widget, chatbot, status):
    make_source(chatbot, "Shipping policy", SHIPPING, status=status)
    conversation_id = widget.start()["conversation"]["id"]
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert SHIPPING not in reply["content"]
    assert reply["cited_sources"] == []


def test_another_chatbots_sources_are_never_used(widget, other_chatbot):
    make_source(other_chatbot, "Shipping policy", SHIPPING)
    conversation_id = widget.start()["conversation"]["id"]
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert reply["cited_sources"] == []


def test_a_source_changed_after_it_was_searched_is_answered_from_its_new_text(
    widget, chatbot, knowledge, django_capture_on_commit_callbacks
):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "How long does delivery to Canada take?")
    source = knowledge["shipping"]
    source.content = "Delivery to Canada now takes two days with our new courier."
    with django_capture_on_commit_callbacks(execute=True):  # the save's commit, which re-indexes
        source.save()
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert reply["content"] == "Delivery to Canada now takes two days with our new courier."


def test_a_source_that_stops_being_ready_is_no_longer_used(widget, chatbot, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "How long does delivery to Canada take?")
    Source.objects.filter(pk=knowledge["shipping"].pk).update(status=Source.Status.FAILED)
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert reply["cited_sources"] == []


def test_a_deleted_source_is_no_longer_used(widget, chatbot, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "How long does delivery to Canada take?")
    knowledge["shipping"].delete()
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert reply["cited_sources"] == []


def test_answering_a_message_searches_the_knowledge_once_and_writes_or_locks_nothing_there(widget, chatbot):
    make_source(chatbot, "Shipping policy", SHIPPING)  # just saved: the first question asked of it
    conversation_id = widget.start()["conversation"]["id"]
    with CaptureQueriesContext(connection) as queries:
        reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert SHIPPING in reply["content"]
    knowledge_queries = [query["sql"] for query in queries if "sources_" in query["sql"]]
    assert len(knowledge_queries) == 1, knowledge_queries
    assert knowledge_queries[0].startswith("SELECT") and "FOR UPDATE" not in knowledge_queries[0]
    # The only lock is the account's (its message credits); on SQLite there is none.
    locks = [query["sql"] for query in queries if "FOR UPDATE" in query["sql"]]
    assert all('FROM "accounts_account"' in sql for sql in locks), locks


def test_a_conversation_can_be_continued_with_its_messages(widget, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "How long does delivery to Canada take?")
    response = widget.post("conversations", {"conversation_id": conversation_id})
    assert response.status_code == 200
    body = response.json()
    assert body["conversation"]["id"] == conversation_id
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][1]["cited_sources"][0]["title"] == "Shipping policy"


def test_another_chatbots_conversation_is_not_continued_but_a_new_one_started(widget, other_chatbot):
    other = Conversation.objects.create(account=other_chatbot.account, chatbot=other_chatbot)
    response = widget.post("conversations", {"conversation_id": other.pk})
    assert response.status_code == 201
    assert response.json()["conversation"]["id"] != other.pk


def test_messages_to_another_chatbots_conversation_are_a_404(widget, other_chatbot):
    other = Conversation.objects.create(account=other_chatbot.account, chatbot=other_chatbot)
    response = widget.ask(other.pk, "Hello?")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not other.messages.exists()


@pytest.mark.parametrize(
    "body, field",
    [({}, "content"), ({"content": "   "}, "content"), ({"content": "x" * 2001}, "content"), ({"content": ["a"]}, "content")],
)
def test_a_bad_message_is_a_400_with_the_field_error(widget, body, field):
    conversation_id = widget.start()["conversation"]["id"]
    response = widget.post(f"conversations/{conversation_id}/messages", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_400(widget, chatbot, raw):
    response = widget.client.post(
        "/widget/v1/conversations", data=raw, content_type="application/json",
        headers={"X-Pivra-Embed-Key": chatbot.embed_key},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_a_body_nested_too_deeply_is_a_400_not_a_500(widget, chatbot):
    response = widget.client.post(
        "/widget/v1/conversations", data=b"[" * 30_000, content_type="application/json",  # under 32 KB
        headers={"X-Pivra-Embed-Key": chatbot.embed_key},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


@pytest.mark.parametrize("headers", [{"Accept": "text/html"}, {"Accept": "application/xml;q=1"}])
def test_the_widget_answers_json_whatever_the_accept_header(widget, headers):
    response = widget.post("conversations", headers=headers)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"


def test_a_json_body_sent_as_plain_text_is_read_as_json(widget, chatbot):
    # As a page's fetch() without a Content-Type, or a form's text/plain post, sends it.
    response = widget.client.post(
        "/widget/v1/conversations", data=b'{"visitor_id": "v-1"}', content_type="text/plain",
        headers={"X-Pivra-Embed-Key": chatbot.embed_key},
    )
    assert response.status_code == 201


def test_a_large_body_is_a_413(widget):
    conversation_id = widget.start()["conversation"]["id"]
    response = widget.post(f"conversations/{conversation_id}/messages", {"content": "x" * 40_000})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_a_paused_chatbot_does_not_chat(widget, chatbot):
    chatbot.status = chatbot.Status.PAUSED
    chatbot.save()
    response = widget.post("conversations")
    assert response.status_code == 403
    assert response.json() == {"request_id": response["X-Request-ID"], "detail": "This chat is not available right now.", "code": "chatbot_paused"}
    assert not Conversation.objects.exists()


def test_endpoints_answer_with_and_without_a_trailing_slash(widget):
    assert widget.post("conversations/").status_code == 201
    assert widget.post("conversations").status_code == 201


def test_each_endpoint_answers_one_method(widget, chatbot):
    response = widget.get("conversations")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "POST, OPTIONS"
    assert widget.post("chatbot").status_code == 405


def test_a_wrong_method_is_a_405_before_the_key_is_read_or_the_visitor_counted(widget, settings):
    settings.WIDGET_RATE_LIMIT_PER_IP = 1
    response = widget.client.get("/widget/v1/conversations", REMOTE_ADDR=widget.ip)  # no embed key
    assert response.status_code == 405
    assert response.json() == {"request_id": response["X-Request-ID"], "detail": "Use POST.", "code": "method_not_allowed"}
    assert widget.client.head("/widget/v1/chatbot", REMOTE_ADDR=widget.ip).status_code == 405
    assert widget.post("conversations").status_code == 201  # the 405s were not counted
