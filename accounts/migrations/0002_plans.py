from django.db import migrations

PLANS = [
    # code, name, credits/month, chatbots, knowledge characters, members, API requests/min, API keys
    ("free", "Free", 50, 1, 400_000, 1, 0, False),
    ("starter", "Starter", 2_000, 3, 5_000_000, 3, 120, True),
    ("growth", "Growth", 10_000, 10, 20_000_000, 10, 600, True),
    ("business", "Business", 50_000, 50, 100_000_000, 50, 3_000, True),
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    for position, (code, name, credits, chatbots, characters, members, rpm, keys) in enumerate(PLANS):
        Plan.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                position=position,
                monthly_message_credits=credits,
                max_chatbots=chatbots,
                max_knowledge_characters=characters,
                max_members=members,
                api_requests_per_minute=rpm,
                api_keys_allowed=keys,
            ),
        )


def remove_plans(apps, schema_editor):
    apps.get_model("accounts", "Plan").objects.filter(code__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_plans, remove_plans)]
