"""The widget's workflows: start a conversation, answer a message (through `answers.engine`, as
the chat API does), capture a lead."""

from dataclasses import dataclass

from django.db import transaction

from answers.engine import Answer, accept_message, open_conversation
from chatbots.models import Conversation, Message
from leads.api import LeadSerializer
from leads.models import Lead
from webhooks.events import emit

HISTORY_LENGTH = 50

UNAVAILABLE = "Sorry, this chat is unavailable right now. Please try again later."
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
    conversation = open_conversation(chatbot=chatbot, channel=Conversation.Channel.WIDGET, visitor_id=visitor_id)
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
    """Record the visitor's message and the bot's reply (`answers.engine`).

    Each accepted message uses one of the account's monthly message credits. Past the limit the
    bot says it is unavailable, and neither message is stored.
    """
    invitation = LEAD_INVITATION if lead_capture_available(conversation.chatbot) else ""
    user_message = accept_message(conversation=conversation, content=content)
    if user_message is None:
        return Reply(content=UNAVAILABLE + invitation, cited_sources=[], offer_lead_form=bool(invitation))
    answer = Answer(user_message, invitation=invitation)
    text = answer.text()
    return Reply(content=text, cited_sources=answer.message.cited_sources,
                 offer_lead_form=not answer.answered and bool(invitation), user_message=user_message,
                 message=answer.message)


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
