"""Who may talk to the widget's endpoints: the credential (a chatbot's public embed key in the
`X-Pivra-Embed-Key` header) and what that chatbot allows (the websites it answers on, and whether
it answers at all).

The key is public (it sits in the page's snippet anyway), so it proves only which chatbot the
widget talks to. A secret key (`pivra_sk_…`) is refused wherever it is sent: it must never be in
a web page. Junk is refused without a query (prefix, length, checksum), then one indexed lookup.
"""

from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from accounts.tokens import EMBED_KEY_PREFIX, is_well_formed
from apikeys.crypto import SECRET_KEY_PREFIX
from chatbots.models import Chatbot
from observability.requests import set_account

EMBED_KEY_HEADER = "X-Pivra-Embed-Key"


class SecretKeyNotAllowed(exceptions.AuthenticationFailed):
    default_code = "secret_key_not_allowed"
    default_detail = (
        "Secret keys (pivra_sk_…) must never be used in a web page, where anyone can read them. "
        "Use the chatbot's embed key (pivra_pk_…) from Install → Embed code, and revoke this "
        "secret key in Settings → Security."
    )


class InvalidEmbedKey(exceptions.AuthenticationFailed):
    default_code = "invalid_embed_key"
    default_detail = (
        f"Send the chatbot's embed key in the {EMBED_KEY_HEADER} header: copy the snippet "
        "again from Install → Embed code (the key may have been regenerated)."
    )


class EmbedKeyAuthentication(authentication.BaseAuthentication):
    """The request acts as the chatbot (`request.auth`); `request.user` is anonymous."""

    def authenticate(self, request):
        presented = request.headers.get(EMBED_KEY_HEADER, "").strip()
        if presented.startswith(SECRET_KEY_PREFIX) or SECRET_KEY_PREFIX in request.headers.get("Authorization", ""):
            raise SecretKeyNotAllowed()
        if not is_well_formed(presented, EMBED_KEY_PREFIX):
            raise InvalidEmbedKey()
        try:
            chatbot = Chatbot.objects.select_related("account__plan").get(embed_key=presented)
        except Chatbot.DoesNotExist:
            raise InvalidEmbedKey() from None
        set_account(chatbot.account_id)  # for the request's log lines
        return AnonymousUser(), chatbot

    def authenticate_header(self, request):
        return 'EmbedKey realm="widget"'


def origin_allowed(chatbot, origin):
    """Any origin when the chatbot has no allowed domains; else one whose host name is listed
    (`*.example.com` allows the subdomains of example.com)."""
    if not chatbot.allowed_domains:
        return True
    try:
        host = (urlsplit(origin or "").hostname or "").rstrip(".")
    except ValueError:
        return False
    if not host:
        return False
    for domain in chatbot.allowed_domains:
        domain = domain.lower()
        if host == domain or (domain.startswith("*.") and host.endswith(domain[1:])):
            return True
    return False


class AllowedOrigin(BasePermission):
    message = "This chatbot does not answer on this website."
    code = "origin_not_allowed"

    def has_permission(self, request, view):
        return from_pivras_own_page(request) or origin_allowed(request.auth, request.headers.get("Origin"))


def from_pivras_own_page(request):
    """Pivra's own pages (Install → Preview) may use every chatbot: only Pivra serves them, and a
    client outside a browser could send any Origin anyway. Browsers say so in Sec-Fetch-Site,
    which no page can set, whatever the proxy did to the scheme or the host; older ones only in
    Origin, compared with this request's own."""
    if request.headers.get("Sec-Fetch-Site"):
        return request.headers["Sec-Fetch-Site"] == "same-origin"
    origin = request.headers.get("Origin")
    return bool(origin) and origin.lower() == request.build_absolute_uri("/").rstrip("/").lower()


class ActiveChatbot(BasePermission):
    message = "This chat is not available right now."
    code = "chatbot_paused"

    def has_permission(self, request, view):
        return request.auth.status == Chatbot.Status.ACTIVE
