"""The REST API's authentication: Pivra's secret-key check, which also counts the request against its
account's API requests a minute in the same Redis round trip as the key's cache lookup.

With the shared cache, a request would otherwise wait for Redis twice (the key, then the count),
and on a 2-core machine each wait cost about 5% of a list request (bench/). The count needs the
key's account before the key is read, so this process remembers the account of each key it has
seen: a key never changes account. A request the throttle would not have counted (a revoked key,
one gone from the cache, a plan without API access or without a limit) takes its count back.
"""

import time

from apikeys import cache as key_cache
from apikeys.authentication import ApiKeyAuthentication
from apikeys.models import ApiKey

from . import ratelimit

_account_of_key = {}  # key hash -> account id, for keys this process has seen in the cache


class CountingApiKeyAuthentication(ApiKeyAuthentication):
    # DRF makes an authenticator per request: this request's count, when counted with the lookup.
    requests_counted = None

    def _read_cache(self, key_hash):
        account_id = _account_of_key.get(key_hash)
        if account_id is None or not key_cache.enabled():
            cached = super()._read_cache(key_hash)
            if _is_counted(cached):
                if len(_account_of_key) > 10_000:
                    _account_of_key.clear()
                _account_of_key[key_hash] = cached.account_id
            return cached
        name, now = ratelimit.api_requests(account_id), time.time()
        cached, counted = ratelimit.get_and_count(key_cache.entry_key(key_hash), name, now)
        if _is_counted(cached) and cached.account_id == account_id:
            self.requests_counted = counted
        else:  # revoked, gone from the cache, or its plan changed
            ratelimit.uncount(name, now)
            _account_of_key.pop(key_hash, None)  # another thread may have dropped it
        return cached


def _is_counted(cached):
    """Whether PlanRateThrottle counts this key's requests: those it lets through, on a plan with a
    limit (HasApiAccess refuses the others first)."""
    if not isinstance(cached, ApiKey):
        return False
    plan = cached.account.plan
    return plan.api_keys_allowed and bool(plan.api_requests_per_minute)
