"""Which changes emit which events, with what data: each emitted in the transaction of its change
to the account's enabled endpoints that subscribe to it."""

import json

import pytest

from chatbots.api import ConversationSerializer
from leads.models import Lead
from sources.models import Source
from tests.sources import ServerPool, allow, fetched, page
from webhooks.events import emit, send_test_event
from webhooks.models import DEFAULT_EVENT_TYPES, EVENT_TYPES, Delivery, WebhookEndpoint
from widget.services import answer_message, capture_lead, start_conversation


@pytest.fixture
def everything(account):
    """An endpoint subscribed to every event type."""
    return WebhookEndpoint.objects.create(account=account, url="https://hooks.example.com/all", events=list(EVENT_TYPES))


def sent():
    """(type, data) of each queued delivery, oldest first."""
    return [(d.event_type, json.loads(d.payload)["data"]) for d in Delivery.objects.order_by("created_at", "id")]


def types():
    return [event_type for event_type, _ in sent()]


def test_each_subscribed_enabled_endpoint_of_the_account_gets_one_delivery(account, other_account, everything):
    leads_only = WebhookEndpoint.objects.create(account=account, url="https://a.example.com/", events=["lead.created"])
    WebhookEndpoint.objects.create(account=account, url="https://b.example.com/", events=["lead.deleted"])
    WebhookEndpoint.objects.create(account=account, url="https://c.example.com/", events=["lead.created"], status="disabled")
    WebhookEndpoint.objects.create(account=other_account, url="https://d.example.com/", events=["lead.created"])
    queued = emit(account, "lead.created", {"id": "lead_1"})
    assert {d.endpoint_id for d in queued} == {everything.pk, leads_only.pk}
    assert len({d.event_id for d in queued}) == 1  # one event, the same id at every endpoint
    body = json.loads(queued[0].payload)
    assert (body["type"], body["data"], body["id"]) == ("lead.created", {"id": "lead_1"}, queued[0].event_id)
    assert body["timestamp"].endswith("Z")


def test_an_unknown_event_type_is_a_programming_error(account):
    with pytest.raises(ValueError):
        emit(account, "lead.exploded", {})


def test_message_created_is_not_a_default_event():
    assert "message.created" not in DEFAULT_EVENT_TYPES
    assert set(DEFAULT_EVENT_TYPES) | {"message.created"} == set(EVENT_TYPES)


def test_a_test_event_goes_to_its_endpoint_whatever_it_subscribes_to(account, everything):
    WebhookEndpoint.objects.create(account=account, url="https://other.example.com/", events=list(EVENT_TYPES))
    queued = send_test_event(everything)
    assert (queued.endpoint_id, queued.event_type) == (everything.pk, "webhook.test")
    assert Delivery.objects.count() == 1


# The widget


def test_a_new_conversation_emits_conversation_started(chatbot, everything):
    conversation, created = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    assert sent() == [("conversation.started", json.loads(json.dumps(ConversationSerializer(conversation).data)))]
    start_conversation(chatbot=chatbot, conversation_id=conversation.pk)  # continued: nothing new
    assert types() == ["conversation.started"]


def test_each_message_and_reply_emits_message_created_with_its_conversation(chatbot, everything):
    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    reply = answer_message(conversation=conversation, content="Do you ship to Ireland?")
    events = sent()
    assert [event_type for event_type, _ in events] == ["conversation.started", "message.created", "message.created"]
    question, answer = events[1][1], events[2][1]
    assert (question["id"], question["role"], question["content"]) == (reply.user_message.pk, "user", "Do you ship to Ireland?")
    assert (answer["id"], answer["role"], answer["conversation"]) == (reply.message.pk, "assistant", conversation.pk)
    assert set(answer) == {"id", "role", "content", "cited_sources", "created_at", "conversation"}


def test_a_lead_form_emits_lead_created_then_lead_updated_when_corrected(chatbot, everything):
    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    lead, _ = capture_lead(conversation=conversation, name="Dana", email="dana@exmaple.org")
    capture_lead(conversation=conversation, name="Dana", email="dana@example.org")
    capture_lead(conversation=conversation, name="Dana", email="dana@example.org")  # sent twice: no news
    events = sent()
    assert [event_type for event_type, _ in events] == ["conversation.started", "lead.created", "lead.updated"]
    assert (events[1][1]["id"], events[1][1]["email"]) == (lead.pk, "dana@exmaple.org")
    assert (events[2][1]["id"], events[2][1]["email"]) == (lead.pk, "dana@example.org")
    assert set(events[2][1]) == {
        "id", "chatbot", "conversation", "name", "email", "phone", "custom_fields", "created_at", "updated_at",
    }


# The API


def test_deleting_a_lead_through_the_api_emits_lead_deleted_with_the_lead_as_it_was(api_client, account, chatbot, everything):
    lead = Lead.objects.create(account=account, chatbot=chatbot, name="Dana", email="dana@example.org")
    assert api_client.delete(f"/api/leads/{lead.pk}").status_code == 204
    [(event_type, data)] = sent()
    assert (event_type, data["id"], data["email"]) == ("lead.deleted", lead.pk, "dana@example.org")


def test_another_accounts_endpoints_hear_nothing_of_it(account, chatbot, other_account):
    WebhookEndpoint.objects.create(account=other_account, url="https://d.example.com/", events=list(EVENT_TYPES))
    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    capture_lead(conversation=conversation, name="Dana", email="dana@example.org")
    assert Delivery.objects.count() == 0


# URL sources


@pytest.fixture
def site(settings):
    with ServerPool() as pool:
        yield allow(settings, pool.start({"/": page("<html><head><title>Hours</title></head><body><p>Open 9 to 5.</p></body></html>")}))


def test_a_url_source_that_becomes_ready_emits_source_ready_without_its_text(chatbot, everything, site):
    source = fetched(chatbot, site.url())
    [(event_type, data)] = sent()
    assert (event_type, data["id"], data["status"], data["url"]) == ("source.ready", source.pk, "ready", site.url())
    assert "content" not in data
    assert data["character_count"] == source.character_count


def test_a_url_source_that_fails_emits_source_failed_with_the_reason(chatbot, everything, site):
    source = fetched(chatbot, site.url("/missing"))
    [(event_type, data)] = sent()
    assert (event_type, data["id"], data["status"], data["error"]) == (
        "source.failed", source.pk, Source.Status.FAILED, "The server answered 404."
    )


def test_a_text_or_qa_source_emits_source_ready_when_added(account, chatbot, everything):
    from sources.services import create_source

    text = create_source(account=account, chatbot=chatbot, type=Source.Type.TEXT, title="Hours", content="Open 9 to 5.")
    qa = create_source(account=account, chatbot=chatbot, type=Source.Type.QA, title="Do you ship?", content="Yes.")
    assert [(event_type, data["id"], data["status"]) for event_type, data in sent()] == [
        ("source.ready", text.pk, "ready"), ("source.ready", qa.pk, "ready"),
    ]
    assert all("content" not in data and "answer" not in data for _, data in sent())
