from django.apps import AppConfig


class UsageConfig(AppConfig):
    """Metering: what each plan allows, what an account has used, and the rate-limit counters."""

    name = "usage"
    default_auto_field = "django.db.models.BigAutoField"
