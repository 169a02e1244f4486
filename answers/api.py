"""POST /api/chatbots/{id}/chat: talk to a chatbot from your own code, blocking or streamed.

Everything that can refuse the request does so before any answer is written, with a JSON error:
the key's `chat:write` permission (403), the chatbot and conversation within the key's account
(404), the body (400), a paused chatbot (409), the message credits (402). Then the answer is
written by `answers.engine`, as the widget's are.

A stream is Server-Sent Events from a synchronous iterator: under gunicorn's sync workers it
holds a worker until the answer ends (README: use gthread or gevent workers for many streams).
"""

import json
import logging

from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from api.fields import ID_PATTERN
from api.schema import object_id
from api.scoping import AccountScopedViewSet
from chatbots.api import CHATBOT_ID, CONVERSATION_ID, MessageSerializer
from chatbots.models import Chatbot, Conversation

from .engine import Answer, AnswerInterrupted, accept_message, open_conversation

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
EVENT_STREAM = "text/event-stream"


class CreditsExhausted(exceptions.APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "credits_exhausted"
    default_detail = (
        "This account has used all of its message credits for the month. Upgrade the plan, or wait "
        "for the credits to renew on the 1st."
    )


class ChatbotPaused(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "chatbot_paused"
    default_detail = "This chatbot is paused. Set its status to active to chat with it."


def utf8_text(value):
    # A lone surrogate ("\ud800" in JSON) parses, but no database can store it.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise serializers.ValidationError("Send text as valid Unicode.") from None
    return value


class ChatRequestSerializer(serializers.Serializer):
    message = serializers.CharField(
        max_length=MAX_MESSAGE_CHARS, validators=[utf8_text], help_text="The person's message, 1 to 4,000 characters."
    )
    conversation_id = serializers.RegexField(
        r"^conv_[0-9A-Za-z]{20}$", required=False,
        help_text="Continue this conversation (one this chatbot started over the chat API); omit to start one.",
    )
    user_id = serializers.CharField(
        max_length=128, required=False, validators=[utf8_text],
        help_text="Your own id for the person, at most 128 characters. Fixed when the conversation starts: "
        "continuing it with another user_id is a 400.",
    )
    stream = serializers.BooleanField(
        default=False, help_text="Answer as Server-Sent Events (`text/event-stream`); so does `Accept: text/event-stream`."
    )


class ChatMessageSerializer(MessageSerializer):
    answered = serializers.SerializerMethodField(
        help_text="False when no source matched and the chatbot's fallback answer was given."
    )

    class Meta(MessageSerializer.Meta):
        fields = ["id", "role", "content", "cited_sources", "answered", "created_at"]
        read_only_fields = fields

    def get_answered(self, message) -> bool:
        return self.context["answered"]


class ChatResponseSerializer(serializers.Serializer):
    conversation_id = serializers.CharField(help_text="Send it back to continue the conversation.")
    message = ChatMessageSerializer(help_text="The chatbot's answer. `[n]` in its content is `cited_sources[n-1]`.")


def answer_json(answer):
    message = ChatMessageSerializer(answer.message, context={"answered": answer.answered}).data
    return {"conversation_id": answer.conversation.pk, "message": message}


def event(name, data):
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"


def answer_events(answer):
    """The answer as Server-Sent Events: message.start, message.delta…, message.end (or error).
    The deltas, joined, are the stored message's content."""
    yield event("message.start", {"conversation_id": answer.conversation.pk, "message_id": answer.message.pk})
    try:
        for text in answer:
            yield event("message.delta", {"text": text})
    except AnswerInterrupted:
        yield event("error", {"code": "generation_failed", "detail": "The model stopped answering midway. Try again."})
        return
    except Exception:  # the status line is sent: the client can only be told in the stream
        logger.exception("Chat stream failed for conversation %s", answer.conversation.pk)
        yield event("error", {"code": "server_error", "detail": "The answer could not be completed. Try again."})
        return
    yield event("message.end", answer_json(answer))


class JsonEvenForEventStreams(DefaultContentNegotiation):
    """Refusals and blocking answers are JSON, also to a client that accepts only
    text/event-stream (DRF would answer it a 406): the stream itself bypasses renderers."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type


BLOCKING_EXAMPLE = {
    "conversation_id": CONVERSATION_ID,
    "message": {
        "id": "msg_6Sy9Xr2Ay5Wo8Lc3Mn0E", "role": "assistant",
        "content": "Yes: orders ship within 3 working days, and delivery to Ireland takes about a week [1].",
        "cited_sources": [{"id": "src_2Wc9Lp4Qx7Mz1Rb5Tn8K", "title": "Shipping policy"}],
        "answered": True, "created_at": "2026-05-13T16:39:20Z",
    },
}
STREAM_EXAMPLE = (
    f'event: message.start\ndata: {{"conversation_id": "{CONVERSATION_ID}", "message_id": "msg_6Sy9Xr2Ay5Wo8Lc3Mn0E"}}\n\n'
    'event: message.delta\ndata: {"text": "Yes: orders ship within 3 working days"}\n\n'
    'event: message.delta\ndata: {"text": ", and delivery to Ireland takes about a week [1]."}\n\n'
    f"event: message.end\ndata: {json.dumps(BLOCKING_EXAMPLE)}\n\n"
)
# One event of the stream, as the Server-Sent Events format has it: its name, and its data (JSON).
SSE_EVENT_SCHEMA = {
    "type": "object",
    "description": (
        "One Server-Sent Event. `message.start` data: `{conversation_id, message_id}`; `message.delta`: "
        "`{text}`; `message.end`: the blocking answer; `error`: `{code, detail}`."
    ),
    "properties": {
        "event": {"type": "string", "enum": ["message.start", "message.delta", "message.end", "error"]},
        "data": {"type": "string", "description": "A JSON object."},
    },
    "required": ["event", "data"],
}
ERROR_EXAMPLE = 'event: error\ndata: {"code": "generation_failed", "detail": "The model stopped answering midway. Try again."}\n\n'


class ChatViewSet(AccountScopedViewSet):
    """Only the chat action: routed under /api/chatbots/{id}/ beside `chatbots.api.ChatbotViewSet`,
    which cannot hold it (chatbots sits below the sources that answers are made from)."""

    model = Chatbot
    api_resource = "chat"
    serializer_class = ChatRequestSerializer
    lookup_value_regex = ID_PATTERN
    content_negotiation_class = JsonEvenForEventStreams

    @extend_schema(
        summary="Chat with a chatbot",
        description=(
            "Send a person's message; the chatbot answers from its sources, as in the widget, and "
            "each message uses one of the account's message credits. Start a conversation by "
            "leaving out `conversation_id`, and continue it by sending the `conversation_id` you "
            "got back: the server keeps the history. The conversation appears in "
            "`/api/conversations` with `channel: \"api\"`.\n\n"
            "**Blocking** (default): 200 with the whole answer.\n\n"
            "**Streaming** (`\"stream\": true`, or `Accept: text/event-stream`): 200 `text/event-stream`, "
            "Server-Sent Events `message.start` (`conversation_id`, `message_id`), `message.delta` "
            "(`{\"text\"}`, repeated; joined, they are the answer's content), then `message.end` "
            "(the whole answer, as in blocking mode), or `error` (`{\"code\", \"detail\"}`) if it "
            "fails midway. Errors found before the answer starts are ordinary JSON responses.\n\n"
            "`answered` is false when no source matched: the answer is the chatbot's fallback answer. "
            "Needs a key with the `chat:write` permission."
        ),
        parameters=[object_id("chatbot", CHATBOT_ID)],
        request=ChatRequestSerializer,
        examples=[
            OpenApiExample("Start a conversation", request_only=True,
                           value={"message": "Do you ship to Ireland?", "user_id": "customer-1842"}),
            OpenApiExample("Continue it, streamed", request_only=True, value={
                "message": "And how much does it cost?", "conversation_id": CONVERSATION_ID, "stream": True,
            }),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                description="The answer: JSON in blocking mode, Server-Sent Events when streamed.",
                response=ChatResponseSerializer,
                examples=[OpenApiExample("Blocking", value=BLOCKING_EXAMPLE, response_only=True)],
            ),
            (200, EVENT_STREAM): OpenApiResponse(
                description="The answer: JSON in blocking mode, Server-Sent Events when streamed.",
                response=SSE_EVENT_SCHEMA,
                examples=[
                    OpenApiExample("Streamed", value=STREAM_EXAMPLE, response_only=True),
                    OpenApiExample("Streamed, failing midway", response_only=True,
                                   value='event: message.start\ndata: {…}\n\nevent: message.delta\ndata: {…}\n\n' + ERROR_EXAMPLE),
                ],
            ),
            402: OpenApiResponse(
                description="The account has no message credits left this month (`credits_exhausted`); nothing was stored.",
                response={"$ref": "#/components/schemas/Error"},
                examples=[OpenApiExample("No credits", response_only=True, value={
                    "detail": CreditsExhausted.default_detail, "code": "credits_exhausted"})],
            ),
            409: OpenApiResponse(
                description="The chatbot is paused (`chatbot_paused`).",
                response={"$ref": "#/components/schemas/Error"},
                examples=[OpenApiExample("Paused", response_only=True, value={
                    "detail": ChatbotPaused.default_detail, "code": "chatbot_paused"})],
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def chat(self, request, pk=None):
        chatbot = self.get_object()
        serializer = ChatRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if chatbot.status == Chatbot.Status.PAUSED:
            raise ChatbotPaused()
        with transaction.atomic():  # a new conversation without its first message is not kept
            conversation = self.conversation(chatbot, data)
            user_message = accept_message(conversation=conversation, content=data["message"])
            if user_message is None:
                raise CreditsExhausted()
        streaming = data["stream"] or EVENT_STREAM in request.headers.get("Accept", "")
        answer = Answer(user_message, streaming=streaming)
        if not streaming:
            answer.text()
            return Response(answer_json(answer))
        response = StreamingHttpResponse(answer_events(answer), content_type=EVENT_STREAM)
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
        return response

    def conversation(self, chatbot, data):
        """The chat API conversation to continue, or a new one."""
        user_id = data.get("user_id")
        if "conversation_id" not in data:
            return open_conversation(chatbot=chatbot, channel=Conversation.Channel.API, user_id=user_id or "")
        conversation = (
            Conversation.objects.for_account(self.account)
            .filter(pk=data["conversation_id"], chatbot=chatbot, channel=Conversation.Channel.API)
            .first()
        )
        if conversation is None:
            raise exceptions.NotFound("No chat API conversation with this id for this chatbot.")
        if user_id is not None and user_id != conversation.user_id:
            raise exceptions.ValidationError(
                {"user_id": ["This conversation belongs to another user_id; start a new conversation for this one."]}
            )
        conversation.chatbot = chatbot  # already loaded, with its account and plan
        return conversation

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # a conversation is nobody's to cache
        return response
