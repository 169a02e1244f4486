"""The REST API's authentication: Pivra's secret-key check, which also counts the request against its
account's API requests a minute in the same Redis round trip as the key's cache lookup.

With the shared cache, a request would otherwise wait for Redis twice (the key, then the count),
and on a 2-core machine each wait cost about 5% of a list request (bench/). The count needs the
key's account before the key is read, so this process remembers the account of each key it has
seen: a key never changes account. A request the throttle would not have counted (a revoked key,
one gone from the cache, a plan without API access or without a limit) takes its count back.

The round trip can start before DRF authenticates: `api.middleware.ApiKeyLookupMiddleware` sends
it as the request arrives, so Redis answers while Django routes the request.
"""

import time

from django.views.decorators.debug import sensitive_variables

from apikeys import cache as key_cache
from apikeys import crypto
from apikeys.authentication import ApiKeyAuthentication
from apikeys.models import ApiKey

from . import ratelimit

_account_of_key = {}  # key hash -> account id, for keys this process has seen in the cache


class CountedLookup:
    """A key's cache entry read, and its account's request counted, in one Redis round trip that
    may still be under way. `finish()` or `cancel()` it, once."""

    def __init__(self, key_hash, account_id):
        self.key_hash, self.account_id = key_hash, account_id
        self.name, self.now = ratelimit.api_requests(account_id), time.time()
        self._answer = ratelimit.start_get_and_count(key_cache.keys(key_hash), self.name, self.now)
        self.done = False

    def finish(self):
        """(the cached entry, the count if the throttle should use it, else None)."""
        self.done = True
        values, counted = self._answer()
        cached = key_cache.found(self.key_hash, *values)
        if _is_counted(cached) and cached.account_id == self.account_id:
            return cached, counted
        # Revoked, gone from the cache, or its plan changed: the throttle would not have counted it.
        ratelimit.uncount(self.name, self.now)
        _account_of_key.pop(self.key_hash, None)  # another thread may have dropped it
        return cached, None

    def cancel(self):
        """For a request that never reached authentication: it must not count."""
        if not self.done:
            self.done = True
            self._answer()
            ratelimit.uncount(self.name, self.now)


def start_lookup(key_hash):
    """A CountedLookup for a key this process has seen, with the shared cache; else None."""
    account_id = _account_of_key.get(key_hash)
    if account_id is None or not key_cache.enabled():
        return None
    return CountedLookup(key_hash, account_id)


@sensitive_variables("header", "presented")
def start_lookup_for_header(header):
    """`start_lookup` for an `Authorization: Bearer pivra_sk_…` header; None for any other."""
    if not _account_of_key:  # no shared cache, or no key seen yet: nothing to start
        return None
    scheme, _, presented = header.partition(" ")
    # Only keys this process has verified are remembered, so a hash that matches one is that key:
    # the full format check (`crypto.is_well_formed`) can wait for the authenticator's own path.
    if scheme.lower() != "bearer" or len(presented) != crypto.SECRET_KEY_LENGTH or not presented.isascii():
        return None
    return start_lookup(crypto.hash_key(presented))


class CountingApiKeyAuthentication(ApiKeyAuthentication):
    # DRF makes an authenticator per request: this request's count, when counted with the lookup.
    requests_counted = None
    _started = None

    @sensitive_variables("presented")
    def authenticate(self, request):
        lookup = getattr(request, "api_key_lookup", None)
        if lookup is None or lookup.done:
            return super().authenticate(request)
        # The middleware has checked this request's header, hashed its key and started the lookup.
        self._started = lookup
        presented = request.META["HTTP_AUTHORIZATION"].partition(" ")[2]  # for the error message
        return self.authenticate_hash(lookup.key_hash, presented)

    def _read_cache(self, key_hash):
        lookup, self._started = self._started, None
        lookup = lookup or start_lookup(key_hash)
        if lookup is not None:
            cached, self.requests_counted = lookup.finish()
            return cached
        cached = super()._read_cache(key_hash)
        if _is_counted(cached):
            if len(_account_of_key) > 10_000:
                _account_of_key.clear()
            _account_of_key[key_hash] = cached.account_id
        return cached


def _is_counted(cached):
    """Whether PlanRateThrottle counts this key's requests: those it lets through, on a plan with a
    limit (HasApiAccess refuses the others first)."""
    if not isinstance(cached, ApiKey):
        return False
    plan = cached.account.plan
    return plan.api_keys_allowed and bool(plan.api_requests_per_minute)
