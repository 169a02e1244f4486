"""The plan's limits, each rule written once, for the API, the widget and the background jobs alike.

- Message credits: a counter row per account and month (MonthlyUsage), raised by one
  conditional UPDATE (`messages = messages + 1 WHERE messages < limit`). The database decides,
  so concurrent messages can never pass the limit, and a message costs the same on the 1st of
  the month as on the 30th.
- Chatbots and knowledge characters count rows that other apps insert. Counting and inserting
  must be one step, or concurrent requests all count the same room and all insert: so the count
  runs under `lock(account)` and the caller inserts inside the same `with` block
  (`room_for_chatbot`, `room_for_knowledge`).
"""

from contextlib import contextmanager

from django.db import transaction
from django.db.models import F

from .models import MonthlyUsage, UsageLock
from .report import chatbots_used, current_month, knowledge_characters_used


class LimitReached(Exception):
    """The plan has no room for this; str() says so in words for the account's users."""


class ChatbotLimitReached(LimitReached):
    def __init__(self, plan):
        super().__init__(
            f"Your {plan.name} plan allows {plan.max_chatbots} chatbot(s). Delete one or upgrade to add more."
        )


class KnowledgeLimitReached(LimitReached):
    def __init__(self, plan, *, adding, used):
        self.plan_name, self.limit, self.adding, self.used = plan.name, plan.max_knowledge_characters, adding, used
        super().__init__(
            f"This source ({adding:,} characters) would exceed your {plan.name} plan's knowledge limit of "
            f"{self.limit:,} characters ({used:,} used)."
        )


@contextmanager
def lock(account):
    """A transaction holding the account's usage lock: other requests' limit checks for the
    account wait until it ends, so whatever is counted and inserted inside it is one step."""
    with transaction.atomic():
        # The first lock of an account creates its row; a concurrent first one waits on the
        # insert, then finds the row (get_or_create retries the get).
        UsageLock.objects.select_for_update().get_or_create(account=account)
        yield


@contextmanager
def room_for_chatbot(account):
    """Create one chatbot inside this block; ChatbotLimitReached if the plan has no room for it."""
    with lock(account):
        if chatbots_used(account) >= account.plan.max_chatbots:
            raise ChatbotLimitReached(account.plan)
        yield


@contextmanager
def room_for_knowledge(account, *, adding, replacing=None):
    """Store `adding` characters of knowledge inside this block; KnowledgeLimitReached if they
    would pass the plan's limit. `replacing`: the source that will hold them, when it exists
    already (a fetched page), so that what it holds now is not counted as well."""
    with lock(account):
        used = knowledge_characters_used(account, excluding=replacing)
        if used + adding > account.plan.max_knowledge_characters:
            raise KnowledgeLimitReached(account.plan, adding=adding, used=used)
        yield


def use_message_credit(*, account, now=None):
    """Count one visitor's message against the account's credits this month; False when none
    are left. Call it in the transaction that stores the message, so that a failure to store
    it gives the credit back."""
    month = current_month(now)
    # Race-safe: a concurrent first message of the month waits on the insert, then gets the row.
    usage, _ = MonthlyUsage.objects.get_or_create(account=account, month=month)
    counted = MonthlyUsage.objects.filter(pk=usage.pk, messages__lt=account.plan.monthly_message_credits).update(
        messages=F("messages") + 1
    )
    return counted == 1
