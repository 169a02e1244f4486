"""Visitor rate limits: widget requests a minute per client IP and per chatbot.

Fixed one-minute windows counted in the Django cache: with Redis configured every worker on
every host shares the counts; without it (per-process memory) each process counts on its own.
"""

import time

from django.core.cache import cache

from . import conf

WINDOW_SECONDS = 60


def _now():
    """The clock, as a seam: tests hold it still so that no test straddles two windows."""
    return time.time()


def counter_key(scope, ident, now=None):
    window = int((now or _now()) // WINDOW_SECONDS)
    return f"widget:ratelimit:{scope}:{ident}:{window}"


def count(scope, ident):
    """Count one request; return how many were made in this window so far."""
    key = counter_key(scope, ident)
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS * 2)
        return 1


def seconds_until_next_window(now=None):
    now = now or _now()
    return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS + 0.999))


def check(*, ip, chatbot_id):
    """Count a request against both limits; return None, or the seconds to wait when one is spent."""
    # The chatbot's count is taken only for requests within the IP's limit: otherwise one
    # visitor's flood would use up the chatbot's budget and lock every other visitor out.
    if ip and count("ip", ip) > conf.get("WIDGET_RATE_LIMIT_PER_IP"):
        return seconds_until_next_window()
    if count("chatbot", chatbot_id) > conf.get("WIDGET_RATE_LIMIT_PER_CHATBOT"):
        return seconds_until_next_window()
    return None
