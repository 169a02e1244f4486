"""Message credits: one counter row per account and calendar month (UTC)."""

import importlib
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Plan
from tests.conftest import make_account
from tests.factories import make_conversation
from usage.limits import use_message_credit
from usage.models import MonthlyUsage
from usage.report import message_credits_used

MAY = datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc)


def give_credits(account, credits):
    Plan.objects.filter(code=account.plan_id).update(monthly_message_credits=credits)
    account.refresh_from_db()


def test_each_message_uses_one_credit_of_the_month(account):
    assert use_message_credit(account=account, now=MAY)
    assert use_message_credit(account=account, now=MAY)
    assert MonthlyUsage.objects.get(account=account, month=MAY.date().replace(day=1)).messages == 2
    assert message_credits_used(account, MAY) == 2


def test_no_credit_is_used_past_the_plans_monthly_credits(account):
    give_credits(account, 2)
    assert [use_message_credit(account=account, now=MAY) for _ in range(4)] == [True, True, False, False]
    assert message_credits_used(account, MAY) == 2


def test_a_new_month_starts_at_zero(account):
    give_credits(account, 2)
    use_message_credit(account=account, now=MAY)
    use_message_credit(account=account, now=MAY)
    june = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert message_credits_used(account, june) == 0
    assert use_message_credit(account=account, now=june)
    assert message_credits_used(account, june) == 1
    assert message_credits_used(account, MAY) == 2


def test_months_are_calendar_months_in_utc(account):
    last_instant_of_may = datetime(2026, 5, 31, 23, 59, 59, tzinfo=timezone.utc)
    use_message_credit(account=account, now=last_instant_of_may)
    assert list(MonthlyUsage.objects.values_list("month", flat=True)) == [datetime(2026, 5, 1).date()]


def test_accounts_use_their_own_credits(account, other_account):
    give_credits(account, 1)
    assert use_message_credit(account=account, now=MAY)
    assert use_message_credit(account=other_account, now=MAY)
    assert message_credits_used(other_account, MAY) == 1


def test_a_raised_plan_gives_the_rest_of_the_month_its_new_credits(account):
    give_credits(account, 1)
    use_message_credit(account=account, now=MAY)
    assert not use_message_credit(account=account, now=MAY)
    give_credits(account, 3)
    assert use_message_credit(account=account, now=MAY)
    assert message_credits_used(account, MAY) == 2


def test_using_a_credit_costs_the_same_two_queries_however_many_were_used(account):
    for _ in range(20):
        use_message_credit(account=account, now=MAY)
    with CaptureQueriesContext(connection) as queries:
        use_message_credit(account=account, now=MAY)
    assert len(queries) == 2  # the month's row, then the conditional UPDATE; no count of messages


def test_the_migration_starts_this_months_counters_from_the_visitors_messages_already_stored(account, chatbot):
    other = make_account("Other Co")
    now = datetime.now(timezone.utc)
    make_conversation(chatbot, [("user", "Hi", []), ("assistant", "Hello", []), ("user", "Bye", [])], started_at=now)
    make_conversation(chatbot, [("user", "Last month", [])], started_at=now.replace(day=1) - timedelta(days=2))
    migration = importlib.import_module("usage.migrations.0002_count_this_months_messages")

    # What the function uses of a schema editor (SQLite refuses a real one inside a test's transaction).
    schema_editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    migration.count_this_months_messages(apps, schema_editor)

    assert message_credits_used(account) == 2
    assert message_credits_used(other) == 0
    assert MonthlyUsage.objects.count() == 1
