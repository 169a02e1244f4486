"""The chat widget's public endpoints (under /widget/v1/) and its script (/widget.js).

Every endpoint takes the chatbot's embed key in the `X-Pivra-Embed-Key` header (POSTs a JSON
object) and answers JSON; errors are `{"detail", "code"}` (400s add
`"errors": {field: [messages]}`). See `widget.http.WidgetView` for CORS, keys and rate limits.
"""

import hashlib

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from chatbots.models import Conversation

from . import services
from .forms import LeadForm, MessageForm, StartConversationForm, lead_fields
from .http import WidgetError, WidgetView, invalid

WIDGET_SCRIPT = "widget.js"
WIDGET_SCRIPT_MAX_AGE = 300  # the snippet's URL never changes, so a new version must arrive soon


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
            "fields": lead_fields(chatbot) if chatbot.lead_capture_enabled else [],
        },
    }


class ChatbotView(WidgetView):
    """GET /widget/v1/chatbot: what the widget shows before the visitor writes anything.

    200: `{"chatbot": {"name", "welcome_message", "lead_capture": {"enabled", "fields":
    ["name", "email", "phone"]}}}`. Opening the chat creates no conversation: the first message does.
    """

    method = "GET"

    def handle(self, request, data):
        return JsonResponse({"chatbot": chatbot_json(self.chatbot)})


class ConversationView(WidgetView):
    """POST /widget/v1/conversations: start a conversation, or continue one.

    Body: `{"conversation_id": "conv_…" (optional, to continue), "visitor_id": "…" (optional)}`.
    201 (started) or 200 (continued): `{"conversation": {"id", "started_at"}, "chatbot": {…as
    GET /widget/v1/chatbot}, "messages": [{"id", "role", "content", "cited_sources",
    "created_at"}, …]}` (the latest 50, oldest first).
    """

    def handle(self, request, data):
        form = StartConversationForm(data)
        if not form.is_valid():
            raise invalid(form)
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
        return JsonResponse(body, status=201 if created else 200)


class ConversationScopedView(WidgetView):
    def get_conversation(self, conversation_id):
        conversation = Conversation.objects.filter(pk=conversation_id, chatbot=self.chatbot).first()
        if conversation is None:
            raise WidgetError(404, "not_found", "This conversation does not exist. Start a new one.")
        conversation.chatbot = self.chatbot  # already loaded, with its account and plan
        return conversation


class MessageView(ConversationScopedView):
    """POST /widget/v1/conversations/{id}/messages: send the visitor's message, get the reply.

    Body: `{"content": "…"}` (at most 2,000 characters).
    201: `{"message": {…the visitor's message}, "reply": {"id", "role": "assistant", "content",
    "cited_sources": [{"id", "title"}], "created_at"}, "offer_lead_form": bool, "unavailable": false}`.
    Past the plan's monthly message credits: 200 with `"unavailable": true`, `"message": null`
    and a reply (not stored) that says the chat is unavailable.
    """

    def handle(self, request, data, conversation_id):
        conversation = self.get_conversation(conversation_id)
        form = MessageForm(data)
        if not form.is_valid():
            raise invalid(form)
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
        return JsonResponse(body, status=200 if reply.unavailable else 201)


class LeadView(ConversationScopedView):
    """POST /widget/v1/conversations/{id}/lead: the lead form.

    Body: `{"name", "email", "phone"}`: the fields the chatbot's lead capture settings collect,
    each required. 201 (created) or 200 (the conversation's lead, updated):
    `{"lead": {"id"}, "detail": "Thanks! …"}`.
    """

    def handle(self, request, data, conversation_id):
        conversation = self.get_conversation(conversation_id)
        if not services.lead_capture_available(self.chatbot):
            raise WidgetError(403, "lead_capture_disabled", "This chatbot does not collect contact details.")
        form = LeadForm(data, chatbot=self.chatbot)
        if not form.is_valid():
            raise invalid(form)
        lead, created = services.capture_lead(conversation=conversation, **form.cleaned_data)
        body = {"lead": {"id": lead.pk}, "detail": "Thanks! We'll be in touch soon."}
        return JsonResponse(body, status=201 if created else 200)


@require_safe
def widget_script(request):
    """/widget.js: the widget's script, public, cacheable, with an ETag for cheap revalidation."""
    path = finders.find(WIDGET_SCRIPT)
    if path is None:
        raise Http404("widget.js is missing.")
    with open(path, "rb") as script:
        content = script.read()
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={WIDGET_SCRIPT_MAX_AGE}"
    # Loaded by other sites' pages: let them fetch it whatever their embedding policy.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
