"""The widget's credential: a chatbot's public embed key in the `X-Pivra-Embed-Key` header.

The key is public (it sits in the page's snippet anyway), so it proves only which chatbot the
widget talks to. A secret key (`pivra_sk_…`) is refused wherever it is sent: it must never be in
a web page. Junk is refused without a query (prefix, length, checksum), then one indexed lookup.
"""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from accounts.tokens import EMBED_KEY_PREFIX, is_well_formed
from apikeys.crypto import SECRET_KEY_PREFIX
from chatbots.models import Chatbot

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
        return AnonymousUser(), chatbot

    def authenticate_header(self, request):
        return 'EmbedKey realm="widget"'
