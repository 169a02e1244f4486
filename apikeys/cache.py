"""An optional cache of verified keys in the shared Django cache (Redis).

Only enabled when a shared cache is configured (`API_KEY_CACHE_ENABLED`): a per-process cache
would keep a revoked key alive on other workers. Revocation writes a tombstone rather than
deleting, and lookups fill the cache with `add`, so a request that read the row just before the
revocation committed cannot put the key back.
"""

from django.conf import settings
from django.core.cache import cache

REVOKED = "revoked"


def entry_key(key_hash):
    return f"apikeys:verified:{key_hash}"


def enabled():
    return settings.API_KEY_CACHE_ENABLED


def get(key_hash):
    return cache.get(entry_key(key_hash)) if enabled() else None


def remember(key_hash, api_key):
    if enabled():
        cache.add(entry_key(key_hash), api_key, settings.API_KEY_CACHE_SECONDS)


def forget(key_hashes):
    """Drop cached entries, e.g. after an account's plan changed."""
    if enabled():
        cache.delete_many([entry_key(h) for h in key_hashes])


def forget_revoked(key_hash):
    if enabled():
        cache.set(entry_key(key_hash), REVOKED, settings.API_KEY_CACHE_SECONDS * 2)


# key id -> when this process may next try to write the key's last_used_at. It keeps a process's
# threads, and requests carrying a cached key (whose last_used_at is as old as its cache entry),
# from trying again and again; the shared claim and the conditional UPDATE still decide.
_next_claim_attempt = {}


def claim_last_used_write(key_id, period, now):
    """Whether this request may write the key's last_used_at: once a period per key in this
    process and, with a shared cache, once a period in all of them.

    Without a shared cache, the conditional UPDATE on the freshly read row is the guard.
    """
    if _next_claim_attempt.get(key_id, now) > now:
        return False
    if len(_next_claim_attempt) > 10_000:
        _next_claim_attempt.clear()
    _next_claim_attempt[key_id] = now + period
    if not enabled():
        return True
    return cache.add(f"apikeys:last-used:{key_id}", 1, int(period.total_seconds()))
