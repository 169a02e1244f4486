"""Chatbot workflows that span more than the chatbot's own row."""

from usage import limits

from .models import Chatbot


def create_chatbot(*, account, **fields):
    """Create a chatbot for `account`; usage.limits.ChatbotLimitReached when its plan has no room.

    Counted and created under the account's usage lock, so that concurrent requests cannot all
    find the same last free place."""
    with limits.room_for_chatbot(account):
        return Chatbot.objects.create(account=account, **fields)
