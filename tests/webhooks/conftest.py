from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.test import Client
from django.utils import timezone

from accounts import reauth
from webhooks.models import WebhookEndpoint

from tests.conftest import confirmed  # noqa: F401  (the webhooks tests import it from here too)

from . import Receiver


@pytest.fixture
def receiver(settings):
    """A receiver on loopback that Pivra may reach (OUTBOUND_PRIVATE_ALLOWLIST), standing in for a
    customer's public endpoint."""
    server = Receiver()
    settings.OUTBOUND_PRIVATE_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    yield server
    server.stop()


@pytest.fixture
def endpoint(account, receiver):
    return WebhookEndpoint.objects.create(account=account, url=receiver.url(), events=["lead.created", "lead.updated"])


class Clock:
    """Django's `timezone.now()`, stopped at `now` until moved with `advance(seconds)`."""

    def __init__(self, now):
        self.now = now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2026, 5, 14, 9, 0, tzinfo=dt_timezone.utc))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def owner_client(alice):
    client = Client()
    client.force_login(alice)
    return confirmed(client)

