"""Fixed one-minute counting windows in the Django cache, for every rate limit in Pivra: the
API's requests a minute per account, and the widget's per visitor and per chatbot.

With Redis configured every worker shares the counts; with the embedded default (per-process
memory) each process counts on its own, which is right for one process and documented.
"""

import time
from datetime import datetime, timezone

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches

from pivra.cache import RedisCache

WINDOW_SECONDS = 60


def _current_window(now=None):
    return int((now or time.time()) // WINDOW_SECONDS)


def window_key(name, now=None):
    """The cache key that counts `name` in the window holding `now`."""
    return f"{name}:{_current_window(now)}"


def count(name, now=None):
    """Count one event under `name` in the current window; return how many so far."""
    key = window_key(name, now)
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return backend.round_trip(*_count_commands(backend.make_key(key)))[-1]
    try:
        return cache.incr(key)
    except ValueError:  # the window's first event
        if cache.add(key, 1, WINDOW_SECONDS * 2):
            return 1
        return cache.incr(key)


def _count_commands(redis_key):
    # Every API request pays for this: one round trip (SET NX with expiry, then INCR) instead of
    # the three that Django's add() + incr() take (incr checks EXISTS first). Django's Redis
    # backend stores integers as plain numbers, so cache.get() reads the count. Keys come from
    # make_key(): make_and_validate_key() only adds warnings about keys memcached would refuse.
    return ("SET", redis_key, 0, "EX", WINDOW_SECONDS * 2, "NX"), ("INCR", redis_key)


def start_get_and_count(cache_keys, name, now=None):
    """`cache.get_many(cache_keys)` (as a list of values, None where missing) and `count(name)`, in
    one round trip with Redis, sent without waiting for the answer: returns a function that waits
    for it and returns (values, count). Call it once."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        found = cache.get_many(cache_keys)
        values, counted = [found.get(k) for k in cache_keys], count(name, now)
        return lambda: (values, counted)
    counter = backend.make_key(window_key(name, now))
    pending = backend.send(("MGET", *map(backend.make_key, cache_keys)), *_count_commands(counter))

    def answer():
        values, *_, counted = pending.read()
        return [backend.loads(value) for value in values], counted

    return answer


def uncount(name, now=None):
    """Take back an event counted under `name` in the window holding `now`."""
    try:
        cache.decr(window_key(name, now))
    except ValueError:  # the window has expired meanwhile
        pass


def counted(name, now=None):
    return cache.get(window_key(name, now), 0)


def seconds_until_next_window(now=None):
    now = now or time.time()
    return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS + 0.999))


def current_window_ends_at():
    return datetime.fromtimestamp((_current_window() + 1) * WINDOW_SECONDS, tz=timezone.utc)


def api_requests(account_id):
    """The name that counts an account's API requests."""
    return f"api:requests:{account_id}"


def count_request(account_id):
    """Count one API request of the account; return the number made in this window so far."""
    return count(api_requests(account_id))


def requests_this_window(account_id):
    return counted(api_requests(account_id))
