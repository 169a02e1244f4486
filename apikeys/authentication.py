"""`Authorization: Bearer pivra_sk_…`, checked top to bottom: the header, cheap rejects that need
no query (prefix, length, checksum), the key's hash, one indexed query for the active key with its
account and plan, its expiry, then `last_used_at` (written at most once a minute). Then
`HasApiAccess`, the API's permission: the key's plan must include API access, the caller's
address must be one the key allows, and the key's own permissions the resource the view names
(`api_resource`), all before any object is looked up.

No verified key is cached anywhere: each request reads the key's row, so a revocation or a plan
change governs the very next request on every worker and host, whatever state Redis is in.
"""

from datetime import timezone
from urllib.parse import unquote_plus

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from django.views.decorators.debug import sensitive_variables
from rest_framework import authentication, exceptions, permissions

from accounts.context import client_ip
from accounts.tokens import EMBED_KEY_PREFIX
from observability import metrics
from observability.requests import set_account

from . import crypto
from .models import ApiKey

REALM = 'Bearer realm="api"'
EMBED_KEY_REFUSED = (
    "Embed keys (pivra_pk_…) are for the chat widget only. Use a secret key (pivra_sk_…) from Settings → Security."
)


class InvalidApiKey(exceptions.AuthenticationFailed):
    default_code = "invalid_api_key"

    def __init__(self, presented):
        # One message for malformed, unknown and revoked keys: no oracle telling which.
        super().__init__(
            f"Invalid API key ({crypto.mask(presented)}). Check that you copied the whole key "
            "and that it has not been revoked."
        )


class ExpiredApiKey(exceptions.AuthenticationFailed):
    default_code = "key_expired"

    def __init__(self, presented, expires_at):
        super().__init__(expired_key_detail(crypto.mask(presented), expires_at.astimezone(timezone.utc)))


class KeySentTwice(exceptions.APIException):
    """RFC 6750 §2: a client must not send its token more than one way in a request. A key in the
    query string (where logs and proxies keep it) or the body as well as the header is refused."""

    status_code = 400
    default_code = "invalid_request"
    default_detail = (
        "Send the key in the Authorization header only, not also in the query string or the body: "
        "URLs end up in logs. Consider rolling the key if it was sent in a URL."
    )
    www_authenticate = f'{REALM}, error="invalid_request"'


def key_also_sent_elsewhere(request):
    """Whether the query string or the body holds a well-formed secret key too."""
    texts = [request.META.get("QUERY_STRING", "")]
    try:
        texts.append(request.body.decode("utf-8", "replace"))
    except (RawPostDataException, RequestDataTooBig):  # already read, or refused for its size anyway
        pass
    return any(
        crypto.is_well_formed(candidate) for text in texts for candidate in crypto.KEY_PATTERN.findall(unquote_plus(text))
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """The request acts as the key (`request.auth`), whose account scopes everything;
    `request.user` is anonymous."""

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
        if key_also_sent_elsewhere(request):
            raise KeySentTwice()
        if presented.startswith(EMBED_KEY_PREFIX):
            raise exceptions.AuthenticationFailed(EMBED_KEY_REFUSED, code="embed_key_not_allowed")
        if not crypto.is_well_formed(presented):
            raise InvalidApiKey(presented)
        try:
            api_key = ApiKey.objects.active().select_related("account__plan").get(key_hash=crypto.hash_key(presented))
        except ApiKey.DoesNotExist:
            raise InvalidApiKey(presented) from None
        set_account(api_key.account_id)  # for the request's log lines
        if api_key.is_expired():
            raise ExpiredApiKey(presented, api_key.expires_at)
        api_key.record_use()
        metrics.KEY_AUTHENTICATIONS.labels("ok").inc()  # refusals are counted by api.exceptions
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        if request.META.get("HTTP_AUTHORIZATION", "").strip():
            return f'{REALM}, error="invalid_token"'
        return REALM


class HasApiAccess(permissions.BasePermission):
    """A valid secret key whose account's plan includes API access, used from an address it
    allows (`allowed_ips`), and whose permissions allow
    the view's resource (`api_resource`, one of `apikeys.models.RESOURCES`): reading it for GET,
    HEAD and OPTIONS, writing it otherwise."""

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        plan = api_key.account.plan
        if not plan.api_keys_allowed:
            raise exceptions.PermissionDenied(plan_not_allowed_detail(plan.name), code="plan_not_allowed")
        address = client_ip(request)
        if not api_key.allows_address(address):
            raise exceptions.PermissionDenied(ip_not_allowed_detail(address), code="ip_not_allowed")
        resource = getattr(view, "api_resource", None)
        write = request.method not in permissions.SAFE_METHODS
        if not api_key.allows(resource, write=write):
            needed = f"{resource}:{'write' if write else 'read'}" if resource else "full access"
            raise exceptions.PermissionDenied(insufficient_permission_detail(needed), code="insufficient_permission")
        return True


def plan_not_allowed_detail(plan_name):
    return f"API access is not included in the {plan_name} plan. Upgrade to Starter or above to use API keys."


def expired_key_detail(masked_key, expires_at):
    return f"This API key ({masked_key}) expired on {expires_at:%Y-%m-%d %H:%M} UTC. Create a new key in Settings → Security."


def insufficient_permission_detail(needed):
    return (
        f"This key's permissions do not allow this request: it needs {needed}. Change the key's "
        "permissions in Settings → Security, or use another key."
    )


def ip_not_allowed_detail(address):
    # The caller's address only: the allowlist is the owner's business.
    return (
        f"This key cannot be used from {address or 'an unknown address'}. Add the address to the "
        "key's Allowed IPs in Settings → Security, or use the key from an allowed address."
    )
