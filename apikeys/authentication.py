from django.contrib.auth.models import AnonymousUser
from django.views.decorators.debug import sensitive_variables
from rest_framework import authentication, exceptions

from . import cache, crypto, lookup

REALM = 'Bearer realm="api"'


class InvalidApiKey(exceptions.AuthenticationFailed):
    default_code = "invalid_api_key"

    def __init__(self, presented):
        # One message for malformed, unknown and revoked keys: no oracle telling which.
        super().__init__(
            f"Invalid API key ({crypto.mask(presented)}). Check that you copied the whole key "
            "and that it has not been revoked."
        )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer pivra_sk_…`. The request acts as the key (`request.auth`), whose
    account scopes everything; `request.user` is anonymous."""

    # If anything below fails, the error report must not show the key in the frames' variables.
    @sensitive_variables("header", "parts", "presented")
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise InvalidApiKey(parts[-1] if parts else "")
        presented = parts[1]
        if presented.startswith(crypto.EMBED_KEY_PREFIX):
            raise exceptions.AuthenticationFailed(
                "Embed keys (pivra_pk_…) are for the chat widget only. Use a secret key "
                "(pivra_sk_…) from Settings → Security.",
                code="embed_key_not_allowed",
            )
        if not crypto.is_well_formed(presented):
            raise InvalidApiKey(presented)
        return self.authenticate_hash(crypto.hash_key(presented), presented)

    @sensitive_variables("presented")
    def authenticate_hash(self, key_hash, presented):
        """The rest of `authenticate`, for a well-formed key that has been hashed."""
        api_key = self._find_active(key_hash)
        if api_key is None:
            raise InvalidApiKey(presented)
        api_key.record_use()
        return AnonymousUser(), api_key

    def _find_active(self, key_hash):
        cached = self._read_cache(key_hash)
        if cached == cache.REVOKED:
            return None
        if cached is not None:
            return cached
        api_key = lookup.find_active(key_hash)
        if api_key is not None:
            cache.remember(key_hash, api_key)
        return api_key

    def _read_cache(self, key_hash):
        """The cached entry: a verified key, `cache.REVOKED`, or None (not cached, or no cache)."""
        return cache.get(key_hash)

    def authenticate_header(self, request):
        if request.META.get("HTTP_AUTHORIZATION", "").strip():
            return f'{REALM}, error="invalid_token"'
        return REALM
