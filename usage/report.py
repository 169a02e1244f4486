"""What an account has used of its plan's limits."""

from datetime import datetime, timezone as dt_timezone

from django.db.models import Sum
from django.utils import timezone

from . import ratelimit
from .models import MonthlyUsage


def current_period(now=None):
    """The calendar month (UTC) that monthly limits count in: (start, end)."""
    now = now or timezone.now()
    start = datetime(now.year, now.month, 1, tzinfo=dt_timezone.utc)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=dt_timezone.utc)
    return start, end


def current_month(now=None):
    """The first day of the current calendar month (UTC): the month a MonthlyUsage row counts."""
    return current_period(now)[0].date()


def message_credits_used(account, now=None):
    """The message credits the account has used this month (its MonthlyUsage counter)."""
    used = MonthlyUsage.objects.filter(account=account, month=current_month(now)).values_list("messages", flat=True)
    return used.first() or 0


# The counts below go through the account's reverse relations (`account.sources`, …): metering
# sits beneath the apps whose rows it counts, and imports none of them.
def chatbot_messages(chatbot, since):
    """A chatbot's visitors' messages since `since`: its share of the account's message credits."""
    # The join has one row per matching message, so this counts messages, not conversations.
    return chatbot.conversations.filter(messages__role="user", messages__created_at__gte=since).count()


def chatbots_used(account):
    return account.chatbots.count()


def knowledge_characters_used(account, chatbot=None, *, excluding=None):
    """Characters in the account's (or one chatbot's) sources, leaving out the source `excluding`."""
    sources = account.sources.all() if chatbot is None else chatbot.sources.all()
    if excluding is not None:
        sources = sources.exclude(pk=excluding.pk)
    return sources.aggregate(total=Sum("character_count"))["total"] or 0


def usage_report(account, chatbot=None):
    plan = account.plan
    start, end = current_period()
    report = {
        "plan": {"code": plan.code, "name": plan.name},
        "period": {"start": start, "end": end},
        "limits": {
            "message_credits": {
                "used": message_credits_used(account, start) if chatbot is None else chatbot_messages(chatbot, start),
                "limit": plan.monthly_message_credits,
                "resets_at": end,
            },
            "knowledge_characters": {
                "used": knowledge_characters_used(account, chatbot),
                "limit": plan.max_knowledge_characters,
            },
        },
    }
    limits = report["limits"]
    if chatbot is None:
        limits["chatbots"] = {"used": chatbots_used(account), "limit": plan.max_chatbots}
        limits["team_members"] = {
            "used": account.memberships.count(),
            "limit": plan.max_members,
        }
        limits["api_requests_per_minute"] = {
            "used": ratelimit.requests_this_window(account.pk),
            "limit": plan.api_requests_per_minute,
            "resets_at": ratelimit.current_window_ends_at(),
        }
    else:
        report["chatbot"] = {"id": chatbot.pk, "name": chatbot.name}
        limits["sources"] = {"used": chatbot.sources.count(), "limit": None}
    return report
