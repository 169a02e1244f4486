"""Per-account API request counting, in fixed one-minute windows in the Django cache.

With Redis configured every worker shares the count; with the embedded default (per-process
memory) each process counts on its own, which is right for one process and documented.
"""

import time
from datetime import datetime, timezone

from django.core.cache import cache

WINDOW_SECONDS = 60


def _window_key(account_id, window):
    return f"api:requests:{account_id}:{window}"


def _current_window(now=None):
    return int((now or time.time()) // WINDOW_SECONDS)


def count_request(account_id):
    """Count one request; return the number made in this window so far."""
    key = _window_key(account_id, _current_window())
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS * 2)
        return 1


def requests_this_window(account_id):
    return cache.get(_window_key(account_id, _current_window()), 0)


def seconds_until_next_window(now=None):
    now = now or time.time()
    return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS + 0.999))


def current_window_ends_at():
    return datetime.fromtimestamp((_current_window() + 1) * WINDOW_SECONDS, tz=timezone.utc)
