"""Small builders for API tests: real rows, created the way the app creates them."""

from datetime import timedelta

from django.utils import timezone

from chatbots.models import Conversation, Message
from leads.models import Lead
from sources.models import Source


def make_leads(account, chatbot, count, start=None, **fields):
    """`count` leads, one second apart, newest last."""
    start = start or timezone.now() - timedelta(days=1)
    return Lead.objects.bulk_create(
        Lead(
            account=account, chatbot=chatbot, name=f"Lead {i}", email=f"lead{i}@example.com",
            created_at=start + timedelta(seconds=i), updated_at=start + timedelta(seconds=i), **fields,
        )
        for i in range(count)
    )


def make_conversation(chatbot, exchange, started_at=None):
    started_at = started_at or timezone.now()
    conversation = Conversation.objects.create(
        account=chatbot.account, chatbot=chatbot, visitor_id="visitor-1", started_at=started_at,
        message_count=len(exchange), last_message_at=started_at + timedelta(seconds=len(exchange)),
    )
    for offset, (role, content, cited) in enumerate(exchange):
        Message.objects.create(
            conversation=conversation, role=role, content=content, cited_sources=cited,
            created_at=started_at + timedelta(seconds=offset),
        )
    return conversation


def send_visitor_messages(chatbot, *contents):
    """A visitor's conversation, each message sent as the widget sends it: stored, answered, and
    counted against the account's message credits."""
    from widget.services import answer_message, start_conversation

    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    for content in contents:
        answer_message(conversation=conversation, content=content)
    return conversation


def make_text_source(chatbot, title="Shipping", content="We ship in 3 days.", **fields):
    return Source.objects.create(
        account=chatbot.account, chatbot=chatbot, type=Source.Type.TEXT, title=title, content=content,
        status=Source.Status.READY, **fields,
    )
