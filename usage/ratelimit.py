"""Fixed one-minute counting windows, for every rate limit in Pivra, and the DRF throttles that
count in them: the API's requests a minute per account and per key (`ApiRateThrottle`), and the widget's per
visitor and per chatbot (`VisitorRateThrottle`).

With Redis every worker on every host shares the counts, one round trip a count. With the
embedded default (per-process memory) each process counts on its own, which is right for one
process. A store that cannot be reached lets requests through: a Redis outage must degrade rate
limiting, not take the API or the widget down.
"""

import logging
import time
from datetime import datetime, timezone

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from accounts.context import client_ip
from api.exceptions import RateLimited, error_body, key_throttled_detail, throttled_detail
from observability import metrics

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
_warned_at = 0.0  # when this process last logged that the store is unreachable


def _now():
    """The clock, as a seam: tests hold it still so that no test straddles two windows."""
    return time.time()


def redis_configured():
    return settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"


def window_key(name, now=None):
    """The cache key that counts `name` in the window holding `now`."""
    return f"{name}:{int((now or _now()) // WINDOW_SECONDS)}"


def hit(name, now=None):
    """Count one event under `name` in the current window; return how many so far, or None when
    the store cannot be reached (callers let the request through)."""
    key = window_key(name, now)
    if not redis_configured():
        if cache.add(key, 1, WINDOW_SECONDS * 2):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired or culled between add() and incr(): a new window's first
            cache.add(key, 1, WINDOW_SECONDS * 2)
            return 1
    try:
        pipe = get_redis_connection("default").pipeline(transaction=False)
        key = cache.make_key(key)  # the name cache.get() reads
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
    except RedisError as error:
        _warn_unreachable(error)
        return None
    return count


def _warn_unreachable(error):
    # At most once a minute: during an outage every request would otherwise log the same line.
    global _warned_at
    if time.monotonic() - _warned_at >= 60:
        _warned_at = time.monotonic()
        logger.warning("Rate-limit store unreachable (%s): requests are not being limited.", error.__class__.__name__)


def counted(name, now=None):
    """How many events `name` has counted in the current window (0 when the store is unreachable)."""
    return int(cache.get(window_key(name, now)) or 0)


def seconds_until_next_window(now=None):
    now = now or _now()
    return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS + 0.999))


def current_window_ends_at():
    return datetime.fromtimestamp((int(_now() // WINDOW_SECONDS) + 1) * WINDOW_SECONDS, tz=timezone.utc)


def api_requests(account_id):
    """The name that counts an account's API requests."""
    return f"api:requests:{account_id}"


def key_requests(key_id):
    """The name that counts one key's API requests, for a key with its own limit."""
    return f"api:key-requests:{key_id}"


def requests_this_window(account_id):
    return counted(api_requests(account_id))


class ApiRateThrottle(BaseThrottle):
    """API requests a minute: the account's, as its plan allows, and the key's own when it has
    one (`requests_per_minute`, within the plan's).

    DRF runs throttles after authentication and permissions, so only requests that a valid key
    may make are counted: a leaked key refused by its IP allowlist or permissions cannot use up
    the account's minute. Each answer to a valid key carries `RateLimit-Policy` and `RateLimit`
    (IETF httpapi ratelimit-headers, draft 11): set through the view's response headers, which
    DRF adds to success and error responses alike, or for a 403 read without counting
    (`uncounted_headers`). A refusal is a 429 naming the limit that was reached.
    """

    def allow_request(self, request, view):
        policies = self.policies(request, count=hit)
        if not policies:
            return True
        wait = seconds_until_next_window()
        view.headers.update(rate_limit_headers(policies, wait))
        for name, quota, count in policies:
            if count is not None and count > quota:
                plan = request.auth.account.plan
                detail = throttled_detail(plan, wait) if name == "account" else key_throttled_detail(quota, wait)
                raise RateLimited(detail, wait)
        return True

    def uncounted_headers(self, request):
        """The fields for an answer refused before this throttle ran (a 403 to a valid key):
        where its limits stand, with nothing counted (api.exceptions asks for them)."""
        policies = self.policies(request, count=counted)
        return rate_limit_headers(policies, seconds_until_next_window()) if policies else {}

    @staticmethod
    def policies(request, *, count):
        """[(name, quota, count(name) in this window)] of the limits on the request's key."""
        api_key = request.auth
        account = getattr(api_key, "account", None)  # an API key's
        if account is None:
            return []
        policies = []
        if account.plan.api_requests_per_minute:
            policies.append(("account", account.plan.api_requests_per_minute, count(api_requests(account.pk))))
        if api_key.requests_per_minute:
            policies.append(("key", api_key.requests_per_minute, count(key_requests(api_key.pk))))
        return policies


def rate_limit_headers(policies, reset_seconds):
    """The two header fields, as RFC 9651 structured-field lists: every policy in
    RateLimit-Policy; in RateLimit the one closest to exhaustion (none while uncounted)."""
    headers = {"RateLimit-Policy": ", ".join(f'"{name}";q={quota};w={WINDOW_SECONDS}' for name, quota, _ in policies)}
    remaining = [(max(0, quota - count), name) for name, quota, count in policies if count is not None]
    if remaining:
        left, name = min(remaining)
        headers["RateLimit"] = f'"{name}";r={left};t={reset_seconds}'
    return headers


class VisitorRateThrottle(BaseThrottle):
    """The widget's limits: WIDGET_RATE_LIMIT_PER_IP requests a minute from one visitor's address,
    and WIDGET_RATE_LIMIT_PER_CHATBOT to one chatbot (`request.auth`) from all of them.

    One throttle for both limits, because they are counted in order, and DRF asks every
    throttle class whatever the others answered: the chatbot's count is taken only for requests
    within the IP's limit (otherwise one visitor's flood would use up the chatbot's budget and
    lock every other visitor out), and a store found unreachable lets the request through without
    being asked again (a request waits on Redis once at most).
    """

    def allow_request(self, request, view):
        ip = client_ip(request)
        if ip:
            per_ip = hit(f"widget:ratelimit:ip:{ip}")
            if per_ip is None:
                return True
            if per_ip > settings.WIDGET_RATE_LIMIT_PER_IP:
                return False
        per_chatbot = hit(f"widget:ratelimit:chatbot:{request.auth.pk}")
        return per_chatbot is None or per_chatbot <= settings.WIDGET_RATE_LIMIT_PER_CHATBOT

    def wait(self):
        return seconds_until_next_window()


class FailedKeyLimitMiddleware:
    """More than API_FAILED_KEYS_PER_MINUTE failed key authentications (an Authorization header
    answered 401) in a minute from one client address: its further invalid keys get 429
    `rate_limited` until the window ends. Counted on the answer, so a valid key from that address
    keeps working: its request never fails."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 401 or not request.path.startswith("/api/") or "HTTP_AUTHORIZATION" not in request.META:
            return response
        failures = hit(f"api:failed-keys:{client_ip(request)}")
        if failures is None or failures <= settings.API_FAILED_KEYS_PER_MINUTE:
            return response
        wait = seconds_until_next_window()
        metrics.RATE_LIMIT_REFUSALS.labels("failed_keys").inc()
        detail = f"Too many invalid API keys from your address. Retry in {wait} seconds."
        return JsonResponse(error_body(detail, "rate_limited"), status=429, headers={"Retry-After": str(wait)})
