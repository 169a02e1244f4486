from django.db import models

from accounts.models import Account


class MonthlyUsage(models.Model):
    """What an account used in one calendar month (UTC): one row per account and month.

    `messages` counts visitors' messages against the plan's monthly message credits. It is raised
    only by `usage.limits.use_message_credit`, with one conditional UPDATE, so a message costs the
    same whatever the month's volume and the count never passes the limit. A new month is a new
    row, starting at 0.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="monthly_usage")
    month = models.DateField(help_text="The first day of the month (UTC).")
    messages = models.PositiveIntegerField(default=0, help_text="Visitors' messages: the message credits used.")

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["account", "month"], name="one_usage_row_per_account_month")]

    def __str__(self):
        return f"{self.account} · {self.month:%Y-%m}"


class UsageLock(models.Model):
    """The row that an account's plan-limit checks lock (`usage.limits.lock`), so that counting
    the account's chatbots or knowledge characters and inserting one more is a single step.

    Not the Account row: every insert of a row that references the account (a conversation, a
    lead, an audit event) takes a KEY SHARE lock on it, which a FOR UPDATE lock would block.
    Not a month's MonthlyUsage row either: two requests either side of midnight on the 1st would
    lock different months' rows.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+")

    def __str__(self):
        return f"Usage lock of {self.account_id}"
