"""The conversation engine's workflows: start a conversation, answer a message, capture a lead."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from chatbots.api import ConversationSerializer, MessageSerializer
from chatbots.models import Conversation, Message
from leads.api import LeadSerializer
from leads.models import Lead
from sources import search
from usage.limits import use_message_credit
from webhooks.events import emit

HISTORY_LENGTH = 50

UNAVAILABLE = "Sorry, this chat is unavailable right now. Please try again later."
NO_MATCH = "Sorry, I couldn't find an answer to that."
LEAD_INVITATION = " Leave your details and the team will get back to you."


def lead_capture_available(chatbot):
    return chatbot.lead_capture_enabled and bool(chatbot.lead_fields)


def find_conversation(*, chatbot, conversation_id):
    """The chatbot's conversation with this id, or None: another chatbot's is not found."""
    try:
        conversation = Conversation.objects.get(pk=conversation_id, chatbot=chatbot)
    except Conversation.DoesNotExist:
        return None
    conversation.chatbot = chatbot  # already loaded, with its account and plan
    return conversation


def start_conversation(*, chatbot, visitor_id="", conversation_id=None):
    """Continue the chatbot's conversation `conversation_id` if there is one, else start one.
    Returns (conversation, created)."""
    if conversation_id:
        conversation = find_conversation(chatbot=chatbot, conversation_id=conversation_id)
        if conversation is not None:
            return conversation, False
    with transaction.atomic():  # the conversation and its webhook deliveries, or neither
        conversation = Conversation.objects.create(
            account_id=chatbot.account_id, chatbot=chatbot, visitor_id=visitor_id, channel=Conversation.Channel.WIDGET
        )
        emit(chatbot.account_id, "conversation.started", ConversationSerializer(conversation).data)
    return conversation, True


def recent_messages(conversation):
    newest = conversation.messages.order_by("-created_at", "-id")[:HISTORY_LENGTH]
    return list(reversed(newest))


@dataclass
class Reply:
    content: str
    cited_sources: list
    offer_lead_form: bool
    user_message: Message | None = None  # None when the message was not accepted (no credits)
    message: Message | None = None

    @property
    def unavailable(self):
        return self.user_message is None


def answer_message(*, conversation, content):
    """Record the visitor's message and the bot's reply, built from the chatbot's ready sources.

    Each accepted message uses one of the account's monthly message credits
    (`usage.limits.use_message_credit`). Past the limit the bot says it is unavailable, and
    neither message is stored.
    """
    chatbot = conversation.chatbot
    invitation = LEAD_INVITATION if lead_capture_available(chatbot) else ""
    now = timezone.now()
    # One transaction: a message that cannot be stored gives its credit back.
    with transaction.atomic():
        if not use_message_credit(account=chatbot.account, now=now):
            return Reply(content=UNAVAILABLE + invitation, cited_sources=[], offer_lead_form=bool(invitation))
        user_message = _add_message(conversation, Message.Role.USER, content, now)

    passages = search.search(chatbot, content, limit=settings.WIDGET_PASSAGES_PER_ANSWER)
    if passages:
        text = get_answerer(chatbot).answer(content, passages)
        titles = {}
        for passage in passages:  # each source once, in the order of its best passage
            titles.setdefault(passage.source_id, passage.title)
        cited = [{"id": source_id, "title": title} for source_id, title in titles.items()]
    else:
        text, cited = NO_MATCH + invitation, []
    reply = _add_message(conversation, Message.Role.ASSISTANT, text, timezone.now(), cited_sources=cited)
    return Reply(content=text, cited_sources=cited, offer_lead_form=not passages and bool(invitation),
                 user_message=user_message, message=reply)


class Answerer:
    """Turns the best passages of the chatbot's sources (never an empty list) into the reply.

    The one in use is named by the WIDGET_ANSWERER setting, so a language-model provider can be
    plugged in (a subclass whose `answer` sends the question, the chatbot's instructions and the
    passages to the model). The default quotes the passages: no model, no network, no cost.
    """

    def __init__(self, chatbot):
        self.chatbot = chatbot  # its name and instructions, for answerers that can use them

    def answer(self, question, passages):
        raise NotImplementedError


class ExtractiveAnswerer(Answerer):
    """Replies with the best-matching passages themselves, best first."""

    def answer(self, question, passages):
        return "\n\n".join(passage.text or passage.title for passage in passages)


def get_answerer(chatbot):
    return import_string(settings.WIDGET_ANSWERER)(chatbot)


def _add_message(conversation, role, content, created_at, cited_sources=()):
    with transaction.atomic():  # the message, its count and its webhook deliveries, or none of them
        message = Message.objects.create(
            conversation=conversation, role=role, content=content, cited_sources=list(cited_sources),
            created_at=created_at,
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            message_count=F("message_count") + 1, last_message_at=created_at
        )
        # As the API shows a message (inside its conversation), with the conversation it belongs to.
        data = {**MessageSerializer(message).data, "conversation": conversation.pk}
        emit(conversation.account_id, "message.created", data)
    return message


def capture_lead(*, conversation, name="", email="", phone=""):
    """Save the visitor's contact details as the conversation's lead; returns (lead, created).

    A conversation has one lead: sending the form again (a corrected email) updates it.
    """
    with transaction.atomic():
        # Serialises two submissions of the same form, which would otherwise both create a lead.
        list(Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk"))
        lead = Lead.objects.filter(conversation=conversation).order_by("created_at").first()
        created = lead is None
        if created:
            lead = Lead(account_id=conversation.account_id, chatbot_id=conversation.chatbot_id, conversation=conversation)
        changed = created or (lead.name, lead.email, lead.phone) != (name, email, phone)
        lead.name, lead.email, lead.phone = name, email, phone
        lead.save()
        if changed:  # the same form sent twice is not news to a CRM
            emit(lead.account_id, "lead.created" if created else "lead.updated", LeadSerializer(lead).data)
    return lead, created
