from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhook endpoints and the signed deliveries of events to them.

    Low in the stack: the apps whose objects change (leads, conversations, sources) call
    `webhooks.events.emit` with the object as their own API serializes it; webhooks imports none
    of them.
    """

    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"
