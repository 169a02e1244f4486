"""Visitor rate limits: widget requests a minute per client IP and per chatbot, counted in the
same fixed one-minute windows as the API's limits (`usage.ratelimit`)."""

import time

from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from accounts.context import client_ip
from usage import ratelimit as windows

from . import conf


def _now():
    """The clock, as a seam: tests hold it still so that no test straddles two windows."""
    return time.time()


def count(scope, ident):
    """Count one request; return how many were made in this window so far (None: store unreachable)."""
    return windows.hit(f"widget:ratelimit:{scope}:{ident}", _now())


class VisitorRateThrottle(BaseThrottle):
    """WIDGET_RATE_LIMIT_PER_IP requests a minute from one visitor's address, and
    WIDGET_RATE_LIMIT_PER_CHATBOT to one chatbot (`request.auth`) from all of them.

    One throttle for both limits, because they are counted in order, and DRF asks every
    throttle class whatever the others answered: the chatbot's count is taken only for requests
    within the IP's limit (otherwise one visitor's flood would use up the chatbot's budget and
    lock every other visitor out), and a store found unreachable lets the request through without
    being asked again (a request waits on Redis once at most).
    """

    def allow_request(self, request, view):
        ip = client_ip(request)
        if ip:
            per_ip = count("ip", ip)
            if per_ip is None:
                return True
            if per_ip > conf.get("WIDGET_RATE_LIMIT_PER_IP"):
                return False
        per_chatbot = count("chatbot", request.auth.pk)
        return per_chatbot is None or per_chatbot <= conf.get("WIDGET_RATE_LIMIT_PER_CHATBOT")

    def wait(self):
        return windows.seconds_until_next_window(_now())


class RateLimited(exceptions.APIException):
    """The widget's 429. Not DRF's `Throttled`, whose message the API's handler words for API
    keys and plans; DRF's handler still sends `wait` as Retry-After."""

    status_code = 429
    default_code = "rate_limited"

    def __init__(self, wait):
        super().__init__(f"Too many messages. Please wait {wait} seconds and try again.")
        self.wait = wait
