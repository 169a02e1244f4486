"""Visitors are rate limited per IP and per chatbot, in the shared Django cache."""

import pytest

import redis
from django.core.cache import cache

from usage.ratelimit import window_key
from tests.conftest import redis_caches, requires_redis
from usage import ratelimit

from .conftest import FROZEN_CLOCK, WidgetClient

REDIS_URL = "redis://127.0.0.1:6379/5"


def test_too_many_requests_from_one_ip_get_a_429_with_retry_after(widget, settings):
    settings.WIDGET_RATE_LIMIT_PER_IP = 3
    statuses = [widget.post("conversations").status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    response = widget.post("conversations")
    assert response.status_code == 429
    assert response["Retry-After"] == "45"  # the rest of the minute
    body = response.json()
    assert body["code"] == "rate_limited"
    assert "Please wait" in body["detail"]
    # The page may read the 429 (and its Retry-After), so the widget can say why.
    assert response["Access-Control-Allow-Origin"] == widget.origin
    assert "Retry-After" in response["Access-Control-Expose-Headers"]


def test_the_ip_limit_counts_messages_too(widget, settings):
    settings.WIDGET_RATE_LIMIT_PER_IP = 2
    conversation_id = widget.start()["conversation"]["id"]
    assert widget.ask(conversation_id, "One").status_code == 201
    assert widget.ask(conversation_id, "Two").status_code == 429


def test_the_next_minute_starts_a_new_count(widget, settings, monkeypatch):
    settings.WIDGET_RATE_LIMIT_PER_IP = 1
    assert widget.post("conversations").status_code == 201
    assert widget.post("conversations").status_code == 429
    monkeypatch.setattr(ratelimit, "_now", lambda: FROZEN_CLOCK + 45)
    assert widget.post("conversations").status_code == 201


def test_another_visitors_ip_is_not_limited(widget, settings):
    settings.WIDGET_RATE_LIMIT_PER_IP = 1
    assert widget.post("conversations").status_code == 201
    assert widget.post("conversations").status_code == 429
    assert widget.post("conversations", ip="198.51.100.9").status_code == 201


def test_too_many_requests_to_one_chatbot_get_a_429_whatever_the_ip(widget, settings, other_chatbot):
    settings.WIDGET_RATE_LIMIT_PER_CHATBOT = 3
    statuses = [widget.post("conversations", ip=f"198.51.100.{i}").status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    # Another chatbot has its own budget.
    assert WidgetClient(other_chatbot.embed_key).post("conversations", ip="198.51.100.99").status_code == 201


def test_a_limited_ip_does_not_use_up_the_chatbots_budget(widget, settings):
    settings.WIDGET_RATE_LIMIT_PER_IP = 1
    settings.WIDGET_RATE_LIMIT_PER_CHATBOT = 3
    for _ in range(10):
        widget.post("conversations")
    assert widget.post("conversations", ip="198.51.100.1").status_code == 201
    assert widget.post("conversations", ip="198.51.100.2").status_code == 201


def test_behind_a_trusted_proxy_the_visitors_forwarded_ip_is_limited(widget, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.WIDGET_RATE_LIMIT_PER_IP = 1
    proxy = "10.0.0.1"
    first = widget.post("conversations", ip=proxy, headers={"X-Forwarded-For": "198.51.100.1"})
    second = widget.post("conversations", ip=proxy, headers={"X-Forwarded-For": "198.51.100.2"})
    again = widget.post("conversations", ip=proxy, headers={"X-Forwarded-For": "198.51.100.1"})
    assert (first.status_code, second.status_code, again.status_code) == (201, 201, 429)


@requires_redis
def test_with_redis_requests_counted_by_another_worker_count_here(widget, settings):
    settings.CACHES = redis_caches(REDIS_URL)
    settings.WIDGET_RATE_LIMIT_PER_IP = 3
    # Another process: its own connection to the same Redis, counting the same visitor twice.
    other_worker = redis.Redis.from_url(REDIS_URL)
    try:
        key = cache.make_key(window_key(f"widget:ratelimit:ip:{widget.ip}", FROZEN_CLOCK))
        other_worker.incrby(key, 2)
        assert widget.post("conversations").status_code == 201
        assert widget.post("conversations").status_code == 429
    finally:
        other_worker.flushdb()


def test_with_the_store_unreachable_visitors_get_through_and_each_request_asks_it_once(widget, settings, monkeypatch):
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")  # nothing listens on port 1
    settings.WIDGET_RATE_LIMIT_PER_IP = 1
    settings.WIDGET_RATE_LIMIT_PER_CHATBOT = 1
    asked = []
    hit = ratelimit.hit

    def counting_hit(*args):
        asked.append(args)
        return hit(*args)

    monkeypatch.setattr(ratelimit, "hit", counting_hit)
    statuses = [widget.post("conversations").status_code for _ in range(3)]
    assert statuses == [201, 201, 201]
    assert len(asked) == 3
