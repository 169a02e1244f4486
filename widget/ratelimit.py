"""Visitor rate limits: widget requests a minute per client IP and per chatbot, counted in the
same fixed one-minute windows as the API's limits (`usage.ratelimit`)."""

import time

from usage import ratelimit as windows

from . import conf


def _now():
    """The clock, as a seam: tests hold it still so that no test straddles two windows."""
    return time.time()


def count(scope, ident):
    """Count one request; return how many were made in this window so far (None: store unreachable)."""
    return windows.hit(f"widget:ratelimit:{scope}:{ident}", _now())


def check(*, ip, chatbot_id):
    """Count a request against both limits; return None, or the seconds to wait when one is spent."""
    # The chatbot's count is taken only for requests within the IP's limit: otherwise one
    # visitor's flood would use up the chatbot's budget and lock every other visitor out.
    if ip:
        per_ip = count("ip", ip)
        if per_ip is None:  # the store is unreachable: let visitors through, and do not wait on it twice
            return None
        if per_ip > conf.get("WIDGET_RATE_LIMIT_PER_IP"):
            return windows.seconds_until_next_window(_now())
    per_chatbot = count("chatbot", chatbot_id)
    if per_chatbot is not None and per_chatbot > conf.get("WIDGET_RATE_LIMIT_PER_CHATBOT"):
        return windows.seconds_until_next_window(_now())
    return None
