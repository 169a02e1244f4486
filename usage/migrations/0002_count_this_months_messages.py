"""Start this month's message-credit counters from the visitors' messages already stored, so that
deploying the counters does not hand every account its month's credits again."""

from datetime import datetime, timezone

from django.db import migrations
from django.db.models import Count


def count_this_months_messages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL statement_timeout = 0")  # one statement scans the month's messages
    Message = apps.get_model("chatbots", "Message")
    MonthlyUsage = apps.get_model("usage", "MonthlyUsage")
    now = datetime.now(timezone.utc)
    month = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    counts = (
        Message.objects.filter(role="user", created_at__gte=month)
        .values("conversation__account_id").annotate(messages=Count("id")).order_by()
    )
    MonthlyUsage.objects.bulk_create(
        (MonthlyUsage(account_id=row["conversation__account_id"], month=month.date(), messages=row["messages"])
         for row in counts.iterator()),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0001_initial"),
        ("chatbots", "0001_initial"),
    ]

    operations = [migrations.RunPython(count_this_months_messages, migrations.RunPython.noop)]
