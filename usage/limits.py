"""The plan's limits, each rule written once, for the API, the widget and the worker alike.

- Message credits: a counter row per account and month (MonthlyUsage), raised by one
  conditional UPDATE (`messages = messages + 1 WHERE messages < limit`). The database decides,
  so concurrent messages can never pass the limit, and a message costs the same on the 1st of
  the month as on the 30th.
"""

from django.db.models import F

from .models import MonthlyUsage
from .report import current_month


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
