"""The chat widget's public endpoints, under /widget/v1/ (routed in pivra/urls.py), with what
they accept.

Every endpoint takes the chatbot's embed key in the `X-Pivra-Embed-Key` header (POSTs a JSON
object) and answers JSON; errors are `{"detail", "code"}` (400s add
`"errors": {field: [messages]}`). `WidgetView` says what each request goes through.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import RateLimited, json_exception_handler
from api.parsers import IgnoreClientContentNegotiation, JsonObjectParser
from usage.ratelimit import VisitorRateThrottle

from . import services
from .authentication import EMBED_KEY_HEADER, ActiveChatbot, AllowedOrigin, EmbedKeyAuthentication, origin_allowed

PREFLIGHT_MAX_AGE = 600


class WidgetBodyParser(JsonObjectParser):
    # The widget sends a message of at most 2,000 characters or a short lead form: a body past
    # this is not the widget's, and is refused before it is read (the site-wide limit is 5 MB).
    max_bytes = 32 * 1024


class InvalidInput(exceptions.APIException):
    """A 400 for a form's field errors: `{"detail": <the first>, "code": "invalid", "errors":
    {field: [messages]}}` (see `widget_exception_handler`), so the widget can show one
    message and still know every field."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, form):
        self.errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
        super().__init__(next(iter(self.errors.values()))[0])


def widget_exception_handler(exc, context):
    """The API's handler (which also answers an unreachable database with a 503 that leaves
    through the view, so it gets the widget's CORS headers), and a 400 for a form keeps its field
    errors beside the detail."""
    response = json_exception_handler(exc, context)
    if isinstance(exc, InvalidInput):
        response.data["errors"] = exc.errors
    return response


class WidgetView(APIView):
    """A public endpoint for the chat widget, which runs in pages on the chatbot's websites.

    In order: the one method the endpoint answers (405 before anything is counted), the embed
    key (401), the chatbot's allowed origins and status (403), the visitor's rate limits (429),
    then the endpoint's own work, which reads the JSON body (400, 413). Its answers, errors and
    the 503 of a database outage included, carry the chatbot's CORS headers (django-cors-headers
    cannot: the allowed origins are per chatbot).
    """

    authentication_classes = [EmbedKeyAuthentication]
    permission_classes = [AllowedOrigin, ActiveChatbot]
    throttle_classes = [VisitorRateThrottle]
    parser_classes = [WidgetBodyParser]
    content_negotiation_class = IgnoreClientContentNegotiation
    http_method_names = ["get", "post", "options"]  # no HEAD for a GET
    chatbot = None  # the chatbot whose embed key authenticated the request, once it has

    def checks_apply(self):
        """Whether the key, the chatbot's permissions and the rate limits apply: not to a CORS
        preflight (it carries no embed key), nor to a method the endpoint does not answer (a 405
        at once, as DRF would give only after reading the key and counting the visitor)."""
        return self.request.method != "OPTIONS" and self.request.method in self.allowed_methods

    def get_authenticators(self):
        return super().get_authenticators() if self.checks_apply() else []

    def get_permissions(self):
        return super().get_permissions() if self.checks_apply() else []

    def get_throttles(self):
        return super().get_throttles() if self.checks_apply() else []

    def perform_authentication(self, request):
        self.chatbot = request.auth

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = " or ".join(method for method in self.allowed_methods if method != "OPTIONS")
        raise exceptions.MethodNotAllowed(request.method, detail=f"Use {allowed}.")

    def throttled(self, request, wait):
        raise RateLimited(f"Too many messages. Please wait {wait} seconds and try again.", wait)

    def get_exception_handler(self):
        return widget_exception_handler

    def options(self, request, *args, **kwargs):
        # The chatbot (and its allowed domains) is unknown here: the preflight is allowed, and
        # the actual request is checked and refused if need be.
        response = Response({})
        response["Access-Control-Allow-Methods"] = ", ".join(self.allowed_methods)
        response["Access-Control-Allow-Headers"] = f"Content-Type, {EMBED_KEY_HEADER}"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        """Echo the Origin when the chatbot allows it, so the page may read the answer. Answers
        given before the chatbot is known (a preflight, a bad key) are readable anywhere: they
        reveal nothing."""
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        if origin and (self.chatbot is None or origin_allowed(self.chatbot, origin)):
            response["Access-Control-Allow-Origin"] = origin
            if request.method != "OPTIONS":
                response["Access-Control-Expose-Headers"] = "Retry-After"
        patch_vary_headers(response, ["Origin"])
        if request.method != "OPTIONS":  # a preflight's answer is kept for Access-Control-Max-Age
            response["Cache-Control"] = "no-store"
        return response


# What the endpoints accept: JSON objects whose fields are strings.

MAX_MESSAGE_CHARS = 2000
PHONE = re.compile(r"^\+?[0-9 ().\-/]{6,30}$")


class JsonForm(forms.Form):
    """A form bound to a parsed JSON object, where each field must be a string (or null/absent):
    a list or a number is refused rather than turned into its repr."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name in self.fields:
            value = self.data.get(name)
            if value is not None and not isinstance(value, str):
                self.add_error(name, "Send this field as a string.")


class StartConversationForm(JsonForm):
    conversation_id = forms.RegexField(regex=r"^conv_[0-9A-Za-z]{20}$", required=False)
    visitor_id = forms.RegexField(regex=r"^[0-9A-Za-z_-]{1,64}$", required=False)


class MessageForm(JsonForm):
    content = forms.CharField(max_length=MAX_MESSAGE_CHARS, error_messages={"required": "Type a message first."})


class LeadForm(JsonForm):
    """The lead form as the chatbot's lead capture settings ask for it: each field it collects is
    required, the others are not accepted."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    phone = forms.CharField(max_length=50)

    def __init__(self, *args, chatbot, **kwargs):
        super().__init__(*args, **kwargs)
        collected = chatbot.lead_fields
        for name in list(self.fields):
            if name not in collected:
                del self.fields[name]

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6:
            raise ValidationError("Enter a phone number, such as +1 555 010 0199.")
        return phone


def message_json(message):
    return {
        "id": message.pk,
        "role": message.role,
        "content": message.content,
        "cited_sources": message.cited_sources,
        "created_at": message.created_at,
    }


def chatbot_json(chatbot):
    return {
        "name": chatbot.name,
        "welcome_message": chatbot.welcome_message,
        "lead_capture": {
            "enabled": services.lead_capture_available(chatbot),
            "fields": chatbot.lead_fields if chatbot.lead_capture_enabled else [],
        },
    }


class ChatbotView(WidgetView):
    """GET /widget/v1/chatbot: what the widget shows before the visitor writes anything.

    200: `{"chatbot": {"name", "welcome_message", "lead_capture": {"enabled", "fields":
    ["name", "email", "phone"]}}}`. Opening the chat creates no conversation: the first message does.
    """

    def get(self, request):
        return Response({"chatbot": chatbot_json(self.chatbot)})


class ConversationView(WidgetView):
    """POST /widget/v1/conversations: start a conversation, or continue one.

    Body: `{"conversation_id": "conv_…" (optional, to continue), "visitor_id": "…" (optional)}`.
    201 (started) or 200 (continued): `{"conversation": {"id", "started_at"}, "chatbot": {…as
    GET /widget/v1/chatbot}, "messages": [{"id", "role", "content", "cited_sources",
    "created_at"}, …]}` (the latest 50, oldest first).
    """

    def post(self, request):
        form = StartConversationForm(request.data)
        if not form.is_valid():
            raise InvalidInput(form)
        conversation, created = services.start_conversation(
            chatbot=self.chatbot,
            visitor_id=form.cleaned_data["visitor_id"],
            conversation_id=form.cleaned_data["conversation_id"],
        )
        body = {
            "conversation": {"id": conversation.pk, "started_at": conversation.started_at},
            "chatbot": chatbot_json(self.chatbot),
            "messages": [] if created else [message_json(m) for m in services.recent_messages(conversation)],
        }
        return Response(body, status=201 if created else 200)


class ConversationScopedView(WidgetView):
    def get_conversation(self, conversation_id):
        conversation = services.find_conversation(chatbot=self.chatbot, conversation_id=conversation_id)
        if conversation is None:
            raise exceptions.NotFound("This conversation does not exist. Start a new one.")
        return conversation


class MessageView(ConversationScopedView):
    """POST /widget/v1/conversations/{id}/messages: send the visitor's message, get the reply.

    Body: `{"content": "…"}` (at most 2,000 characters).
    201: `{"message": {…the visitor's message}, "reply": {"id", "role": "assistant", "content",
    "cited_sources": [{"id", "title"}], "created_at"}, "offer_lead_form": bool, "unavailable": false}`.
    Past the plan's monthly message credits: 200 with `"unavailable": true`, `"message": null`
    and a reply (not stored) that says the chat is unavailable.
    """

    def post(self, request, conversation_id):
        data = request.data  # the body first: a bad one is a 400 whatever the conversation
        conversation = self.get_conversation(conversation_id)
        form = MessageForm(data)
        if not form.is_valid():
            raise InvalidInput(form)
        reply = services.answer_message(conversation=conversation, content=form.cleaned_data["content"])
        if reply.unavailable:
            reply_json = {"id": None, "role": "assistant", "content": reply.content, "cited_sources": [],
                          "created_at": timezone.now()}
        else:
            reply_json = message_json(reply.message)
        body = {
            "message": message_json(reply.user_message) if reply.user_message else None,
            "reply": reply_json,
            "offer_lead_form": reply.offer_lead_form,
            "unavailable": reply.unavailable,
        }
        return Response(body, status=200 if reply.unavailable else 201)


class LeadView(ConversationScopedView):
    """POST /widget/v1/conversations/{id}/lead: the lead form.

    Body: `{"name", "email", "phone"}`: the fields the chatbot's lead capture settings collect,
    each required. 201 (created) or 200 (the conversation's lead, updated):
    `{"lead": {"id"}, "detail": "Thanks! …"}`.
    """

    def post(self, request, conversation_id):
        data = request.data  # the body first: a bad one is a 400 whatever the conversation
        conversation = self.get_conversation(conversation_id)
        if not services.lead_capture_available(self.chatbot):
            raise exceptions.PermissionDenied("This chatbot does not collect contact details.", code="lead_capture_disabled")
        form = LeadForm(data, chatbot=self.chatbot)
        if not form.is_valid():
            raise InvalidInput(form)
        lead, created = services.capture_lead(conversation=conversation, **form.cleaned_data)
        body = {"lead": {"id": lead.pk}, "detail": "Thanks! We'll be in touch soon."}
        return Response(body, status=201 if created else 200)
