"""What every public widget endpoint does before its own work: CORS, the embed key, the
visitor rate limits and a JSON body; and how it answers errors (`{"detail", "code"}`).
"""

import json
from urllib.parse import urlsplit

from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.context import client_ip
from accounts.tokens import is_well_formed
from apikeys.crypto import SECRET_KEY_PREFIX
from chatbots.models import EMBED_KEY_PREFIX, Chatbot

from . import ratelimit

EMBED_KEY_HEADER = "X-Pivra-Embed-Key"
MAX_BODY_BYTES = 32 * 1024
PREFLIGHT_MAX_AGE = 600


class WidgetError(Exception):
    def __init__(self, status, code, detail, *, headers=None, errors=None):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers, self.errors = headers or {}, errors

    def response(self):
        body = {"detail": self.detail, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return JsonResponse(body, status=self.status, headers=self.headers)


def origin_host(origin):
    try:
        return (urlsplit(origin).hostname or "").rstrip(".")
    except ValueError:
        return ""


def origin_allowed(chatbot, origin):
    """Any origin when the chatbot has no allowed domains; else one whose host name is listed
    (`*.example.com` allows the subdomains of example.com)."""
    if not chatbot.allowed_domains:
        return True
    host = origin_host(origin or "")
    if not host:
        return False
    for domain in chatbot.allowed_domains:
        domain = domain.lower()
        if host == domain or (domain.startswith("*.") and host.endswith(domain[1:])):
            return True
    return False


@method_decorator(csrf_exempt, name="dispatch")  # no cookies are read: the embed key is the credential
class WidgetView(View):
    """A public endpoint for the chat widget, authenticated by a chatbot's embed key.

    The key travels in the `X-Pivra-Embed-Key` header (it is public: it sits in the page's
    snippet anyway). A secret key (`pivra_sk_…`) is refused, wherever it is sent. Subclasses
    implement `handle(request, data, **kwargs)` with `self.chatbot` set (`data` is the JSON body
    of a POST, `{}` for a GET); they answer JSON.
    """

    method = "POST"  # the one method an endpoint answers, besides the CORS preflight

    def dispatch(self, request, *args, **kwargs):
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS":
            return self.preflight(origin)
        try:
            self.chatbot = None
            if request.method != self.method:
                raise WidgetError(
                    405, "method_not_allowed", f"Use {self.method}.", headers={"Allow": f"{self.method}, OPTIONS"}
                )
            self.chatbot = self.authenticate(request)
            if not origin_allowed(self.chatbot, origin):
                raise WidgetError(403, "origin_not_allowed", "This chatbot does not answer on this website.")
            wait = ratelimit.check(ip=client_ip(request), chatbot_id=self.chatbot.pk)
            if wait:
                raise WidgetError(
                    429, "rate_limited", f"Too many messages. Please wait {wait} seconds and try again.",
                    headers={"Retry-After": str(wait)},
                )
            if self.chatbot.status != Chatbot.Status.ACTIVE:
                raise WidgetError(403, "chatbot_paused", "This chat is not available right now.")
            data = self.parse_json(request) if self.method == "POST" else {}
            response = self.handle(request, data, **kwargs)
        except WidgetError as error:
            response = error.response()
        return self.add_cors_headers(response, origin)

    def authenticate(self, request):
        presented = request.headers.get(EMBED_KEY_HEADER, "").strip()
        authorization = request.headers.get("Authorization", "")
        if presented.startswith(SECRET_KEY_PREFIX) or SECRET_KEY_PREFIX in authorization:
            raise WidgetError(
                401, "secret_key_not_allowed",
                "Secret keys (pivra_sk_…) must never be used in a web page, where anyone can read them. "
                "Use the chatbot's embed key (pivra_pk_…) from Install → Embed code, and revoke this "
                "secret key in Settings → Security.",
                headers={"WWW-Authenticate": 'EmbedKey realm="widget"'},
            )
        chatbot = None
        if is_well_formed(presented, EMBED_KEY_PREFIX):  # junk is refused without a query
            chatbot = Chatbot.objects.select_related("account__plan").filter(embed_key=presented).first()
        if chatbot is None:
            raise WidgetError(
                401, "invalid_embed_key",
                f"Send the chatbot's embed key in the {EMBED_KEY_HEADER} header: copy the snippet "
                "again from Install → Embed code (the key may have been regenerated).",
                headers={"WWW-Authenticate": 'EmbedKey realm="widget"'},
            )
        return chatbot

    def parse_json(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise WidgetError(413, "request_too_large", "The request body is too large.")
        if not request.body:
            return {}
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise WidgetError(400, "invalid_json", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise WidgetError(400, "invalid_json", "The request body must be a JSON object.")
        return data

    def preflight(self, origin):
        # A preflight carries no embed key, so the chatbot (and its allowed domains) is unknown
        # here: it is allowed, and the actual request is checked and refused if need be.
        response = JsonResponse({}, status=200)
        response["Access-Control-Allow-Methods"] = f"{self.method}, OPTIONS"
        response["Access-Control-Allow-Headers"] = f"Content-Type, {EMBED_KEY_HEADER}"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        if origin:
            response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
        return response

    def add_cors_headers(self, response, origin):
        """Echo the Origin when the chatbot allows it, so the page may read the answer. Errors
        before the chatbot is known (a bad key) are readable anywhere: they reveal nothing."""
        if origin and (self.chatbot is None or origin_allowed(self.chatbot, origin)):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "Retry-After"
        response["Vary"] = "Origin"
        response["Cache-Control"] = "no-store"
        return response

    def handle(self, request, data, **kwargs):
        raise NotImplementedError


def invalid(form):
    """A 400 with the form's field errors: `{"detail", "code": "invalid", "errors": {field: [..]}}`."""
    errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    first = next(iter(errors.values()))[0]
    return WidgetError(400, "invalid", first, errors=errors)
