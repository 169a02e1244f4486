from django.apps import AppConfig


class ChatbotsConfig(AppConfig):
    name = "chatbots"
    default_auto_field = "django.db.models.BigAutoField"
