from django.apps import AppConfig


class OutboundConfig(AppConfig):
    """Connections Pivra makes to addresses its customers choose: URL sources and webhooks."""

    name = "outbound"
