import json

import django.test
import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import TestCase

from sources.models import Source
from usage import ratelimit

VISITOR_IP = "203.0.113.7"


FROZEN_CLOCK = 1_800_000_000 + 15.5  # 15.5 seconds into a one-minute window


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch):
    """Rate-limit counters live in the cache, which outlives a test: start each test at zero,
    with the rate limiter's clock held still so that no test straddles two windows."""
    monkeypatch.setattr(ratelimit, "_now", lambda: FROZEN_CLOCK)
    cache.clear()
    yield
    cache.clear()


class Client(django.test.Client):
    """Django's test client, which reads a streamed body (WhiteNoise streams static files) into
    `response.content`, as a browser would."""

    def request(self, **request):
        response = super().request(**request)
        if not response.streaming:
            return response
        content = b"".join(response.streaming_content)  # and the test client closes the response
        return HttpResponse(content, status=response.status_code, headers=response.headers)


class WidgetClient:
    """Talks to /widget/v1/ as the widget does: JSON, the embed key in a header, from a website."""

    def __init__(self, embed_key, origin="https://shop.example.com", ip=VISITOR_IP):
        self.client = Client()
        self.embed_key, self.origin, self.ip = embed_key, origin, ip

    def post(self, path, body=None, *, embed_key=None, origin=None, ip=None, headers=None):
        sent = {"X-Pivra-Embed-Key": embed_key or self.embed_key}
        if (origin or self.origin) is not None:
            sent["Origin"] = origin or self.origin
        sent.update(headers or {})
        sent = {name: value for name, value in sent.items() if value is not None}
        return self.client.post(
            f"/widget/v1/{path}", data=json.dumps(body or {}), content_type="application/json",
            headers=sent, REMOTE_ADDR=ip or self.ip,
        )

    def get(self, path, *, embed_key=None, origin=None):
        headers = {"X-Pivra-Embed-Key": embed_key or self.embed_key, "Origin": origin or self.origin}
        return self.client.get(f"/widget/v1/{path}", headers=headers, REMOTE_ADDR=self.ip)

    def start(self, **body):
        response = self.post("conversations", body)
        assert response.status_code in (200, 201), response.content
        return response.json()

    def ask(self, conversation_id, content, **kwargs):
        return self.post(f"conversations/{conversation_id}/messages", {"content": content}, **kwargs)

    def leave_details(self, conversation_id, **details):
        return self.post(f"conversations/{conversation_id}/lead", details)


@pytest.fixture
def widget(chatbot):
    return WidgetClient(chatbot.embed_key)


def make_source(chatbot, title, content, *, type=Source.Type.TEXT, status=Source.Status.READY):
    """A saved source, indexed as it is once its transaction commits (the test's never does)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Source.objects.create(
            account=chatbot.account, chatbot=chatbot, type=type, title=title, content=content, status=status
        )


SHIPPING = "We ship every order within 3 working days, and delivery to Canada takes about a week."
RETURNS = "You can return any item within 30 days for a full refund. Print the return label from your account."
OPENING = "Our shop in Lisbon is open Monday to Friday from 9am to 6pm."


@pytest.fixture
def knowledge(chatbot):
    """Three ready sources, one per topic."""
    return {
        "shipping": make_source(chatbot, "Shipping policy", f"About us\n\n{SHIPPING}\n\nWe pack with care."),
        "returns": make_source(chatbot, "Returns", RETURNS),
        "opening": make_source(chatbot, "Opening hours", OPENING),
    }
