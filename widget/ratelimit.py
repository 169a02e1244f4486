"""Visitor rate limits: widget requests a minute per client IP and per chatbot, counted in the
same fixed one-minute windows as the API's limits (`api.ratelimit`)."""

import time

from api import ratelimit as windows

from . import conf


def _now():
    """The clock, as a seam: tests hold it still so that no test straddles two windows."""
    return time.time()


def _counter_name(scope, ident):
    return f"widget:ratelimit:{scope}:{ident}"


def counter_key(scope, ident, now=None):
    return windows.window_key(_counter_name(scope, ident), now or _now())


def count(scope, ident):
    """Count one request; return how many were made in this window so far."""
    return windows.count(_counter_name(scope, ident), _now())


def check(*, ip, chatbot_id):
    """Count a request against both limits; return None, or the seconds to wait when one is spent."""
    # The chatbot's count is taken only for requests within the IP's limit: otherwise one
    # visitor's flood would use up the chatbot's budget and lock every other visitor out.
    if ip and count("ip", ip) > conf.get("WIDGET_RATE_LIMIT_PER_IP"):
        return windows.seconds_until_next_window(_now())
    if count("chatbot", chatbot_id) > conf.get("WIDGET_RATE_LIMIT_PER_CHATBOT"):
        return windows.seconds_until_next_window(_now())
    return None
