"""Each visitor message uses one of the plan's monthly message credits."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from accounts.models import Plan
from chatbots.models import Conversation, Message
from sources import search
from usage.limits import use_message_credit
from usage.models import MonthlyUsage
from widget import services

from .conftest import SHIPPING, WidgetClient


@pytest.fixture
def two_credits(account):
    plan = Plan.objects.get(code=account.plan_id)
    plan.monthly_message_credits = 2
    plan.save()


def test_past_the_monthly_credits_the_bot_politely_says_it_is_unavailable(widget, knowledge, two_credits):
    conversation_id = widget.start()["conversation"]["id"]
    assert SHIPPING in widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]["content"]
    assert widget.ask(conversation_id, "And shipping to Canada?").status_code == 201

    response = widget.ask(conversation_id, "How long does delivery to Canada take?")
    assert response.status_code == 200
    body = response.json()
    assert body["unavailable"] is True
    assert body["message"] is None
    assert body["reply"]["content"] == (
        "Sorry, this chat is unavailable right now. Please try again later. "
        "Leave your details and the team will get back to you."
    )
    assert body["reply"]["cited_sources"] == []
    assert body["offer_lead_form"] is True


def test_messages_past_the_limit_are_not_stored_nor_searched(widget, knowledge, two_credits, monkeypatch):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "One")
    widget.ask(conversation_id, "Two")
    monkeypatch.setattr(search, "search", lambda *args, **kwargs: pytest.fail("searched past the limit"))
    widget.ask(conversation_id, "Three")
    assert Message.objects.filter(role="user").count() == 2
    assert Conversation.objects.get(pk=conversation_id).message_count == 4


def test_the_credits_are_per_account_and_shown_by_the_usage_api(widget, api_client, knowledge):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "How long does delivery to Canada take?")
    widget.ask(conversation_id, "Can I get a refund?")
    credits = api_client.get("/api/usage").json()["limits"]["message_credits"]
    assert credits["used"] == 2
    assert credits["limit"] == 2000


def test_the_usage_api_shows_the_limit_reached(widget, api_client, two_credits):
    conversation_id = widget.start()["conversation"]["id"]
    for text in ("One", "Two", "Three", "Four"):
        widget.ask(conversation_id, text)
    assert api_client.get("/api/usage").json()["limits"]["message_credits"] == {
        "used": 2, "limit": 2, "resets_at": api_client.get("/api/usage").json()["period"]["end"],
    }


def test_last_months_messages_do_not_count(widget, chatbot, two_credits):
    old = Conversation.objects.create(account=chatbot.account, chatbot=chatbot)
    last_month = timezone.now().replace(day=1) - timedelta(days=3)
    for _ in range(2):  # last month's credits, all used
        assert use_message_credit(account=chatbot.account, now=last_month)
        Message.objects.create(conversation=old, role="user", content="Old", created_at=last_month)
    conversation_id = widget.start()["conversation"]["id"]
    assert widget.ask(conversation_id, "Hello").json()["unavailable"] is False


def test_another_accounts_messages_do_not_use_this_accounts_credits(widget, other_chatbot, two_credits):
    other = WidgetClient(other_chatbot.embed_key)
    other_conversation = other.start()["conversation"]["id"]
    # other_account is on the same plan, so it has two credits too: spend them.
    other.ask(other_conversation, "One")
    other.ask(other_conversation, "Two")
    conversation_id = widget.start()["conversation"]["id"]
    assert widget.ask(conversation_id, "Hello").json()["unavailable"] is False


def test_a_message_that_cannot_be_stored_gives_its_credit_back(widget, knowledge, two_credits, monkeypatch):
    conversation_id = widget.start()["conversation"]["id"]
    widget.ask(conversation_id, "One")

    def broken_database(*args, **kwargs):
        raise DatabaseError("the disk is full")

    conversation = Conversation.objects.get(pk=conversation_id)
    with monkeypatch.context() as patched, pytest.raises(DatabaseError):
        patched.setattr(Message.objects, "create", broken_database)
        services.answer_message(conversation=conversation, content="Two")

    assert MonthlyUsage.objects.get().messages == 1
    assert widget.ask(conversation_id, "Two again").json()["unavailable"] is False
