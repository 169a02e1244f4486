"""The chatbots and conversations of the REST API: /api/chatbots, /api/conversations."""

import re

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.settings import api_settings

from api.fields import ID_PATTERN
from api.filters import UtcDateTimeFilter
from api.pagination import NewestConversationFirstPagination
from api.schema import DELETE_IS_FINAL, object_id, response_example
from api.scoping import AccountScopedViewSet
from usage import limits

from .models import Chatbot, Conversation, Message
from .services import create_chatbot

CHATBOT_ID = "bot_4Fh2kQ9LmN3pR7sT1vWx"
CONVERSATION_ID = "conv_8Kd3mW5nQ2xZ7bR1tY6p"

CHATBOT_EXAMPLE = {
    "id": CHATBOT_ID,
    "name": "Support bot",
    "instructions": "Answer questions about orders and shipping. Be brief and friendly.",
    "welcome_message": "Hi! How can I help you today?",
    "fallback_answer": "Sorry, I couldn't find an answer to that.",
    "allowed_domains": ["example.com", "shop.example.com"],
    "lead_capture_enabled": True,
    "lead_collect_name": True,
    "lead_collect_email": True,
    "lead_collect_phone": False,
    "status": "active",
    "embed_key": "pivra_pk_7Tq2Lm9Xw4Rb8Nc1Vz6Ks3Hd5Fg0Jy2Pa1b2",
    "source_count": 4,
    "knowledge_characters": 18342,
    "created_at": "2026-04-02T08:15:00Z",
    "updated_at": "2026-05-10T14:02:11Z",
}

CONVERSATION_EXAMPLE = {
    "id": CONVERSATION_ID,
    "chatbot": CHATBOT_ID,
    "visitor_id": "v_3f9c2a7e41b8",
    "user_id": "",
    "channel": "widget",
    "started_at": "2026-05-13T16:38:52Z",
    "last_message_at": "2026-05-13T16:39:20Z",
    "message_count": 2,
}

CONVERSATION_DETAIL_EXAMPLE = {
    **CONVERSATION_EXAMPLE,
    "messages": [
        {
            "id": "msg_5Rt8Wq1Zx4Vn7Kb2Lm9D", "role": "user", "content": "Do you ship to Ireland?",
            "cited_sources": [], "created_at": "2026-05-13T16:38:52Z",
        },
        {
            "id": "msg_6Sy9Xr2Ay5Wo8Lc3Mn0E", "role": "assistant",
            "content": "Yes: we ship within 3 working days, and orders over €50 ship free.",
            "cited_sources": [{"id": "src_2Wc9Lp4Qx7Mz1Rb5Tn8K", "title": "Shipping policy"}],
            "created_at": "2026-05-13T16:39:20Z",
        },
    ],
}


def account_chatbots(request):
    if request is None or request.auth is None:
        return Chatbot.objects.none()
    return Chatbot.objects.for_account(request.auth.account)


def chatbot_filter():
    # Another account's chatbot id is "not a valid choice", exactly like an unknown one.
    return django_filters.ModelChoiceFilter(
        queryset=account_chatbots, help_text="Only this chatbot's objects (a chatbot id)."
    )


HOST_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


class ChatbotSerializer(serializers.ModelSerializer):
    allowed_domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, max_length=100,
        help_text="Host names the widget may be embedded on, such as example.com; empty means any site.",
    )
    source_count = serializers.IntegerField(read_only=True, help_text="How many knowledge sources it has.")
    knowledge_characters = serializers.IntegerField(
        read_only=True, help_text="Characters in its sources, counted against the plan's knowledge limit."
    )

    class Meta:
        model = Chatbot
        fields = [
            "id", "name", "instructions", "welcome_message", "fallback_answer", "allowed_domains", "lead_capture_enabled",
            "lead_collect_name", "lead_collect_email", "lead_collect_phone", "status", "embed_key",
            "source_count", "knowledge_characters", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "embed_key", "created_at", "updated_at"]
        extra_kwargs = {
            "id": {"help_text": "The chatbot's id, such as bot_4Fh2kQ9LmN3pR7sT1vWx."},
            "name": {"help_text": "Shown to you only, in the dashboard and the API."},
            "instructions": {"help_text": "How the bot should answer: tone, scope, what to avoid."},
            "welcome_message": {"help_text": "The first message visitors see in the widget."},
            "fallback_answer": {
                "help_text": "What the bot answers when none of its sources matches the question (no model is asked).",
            },
            "lead_capture_enabled": {"help_text": "Whether the widget offers visitors the lead form."},
            "lead_collect_name": {"help_text": "Whether the lead form asks for a name."},
            "lead_collect_email": {"help_text": "Whether the lead form asks for an email address."},
            "lead_collect_phone": {"help_text": "Whether the lead form asks for a phone number."},
            "status": {"help_text": "A paused chatbot's widget does not answer."},
            "embed_key": {
                "help_text": "The public key (pivra_pk_…) for the widget's <script> tag. Safe in a web page; "
                "it cannot call this API.",
            },
        }

    def validate_allowed_domains(self, domains):
        cleaned = []
        for domain in domains:
            host = domain.strip().lower().rstrip(".")
            if not HOST_NAME.match(host):
                raise serializers.ValidationError(
                    f"'{domain[:100]}' is not a host name. Enter names such as example.com, without https:// or a path."
                )
            if host not in cleaned:
                cleaned.append(host)
        return cleaned

    def create(self, validated_data):
        # The plan's limit is checked here, not in validate(): the count and the insert must
        # share the transaction that holds the account's usage lock.
        try:
            return create_chatbot(**validated_data)
        except limits.ChatbotLimitReached as error:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [str(error)]}, code="plan_limit_reached"
            ) from None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # A freshly created or updated chatbot has no annotations: count its sources directly.
        if not hasattr(instance, "source_count"):
            counted = Chatbot.objects.with_knowledge().get(pk=instance.pk)
            data["source_count"], data["knowledge_characters"] = counted.source_count, counted.knowledge_characters
        return data


@extend_schema_field({
    "type": "array",
    "description": "For an assistant message, the sources its answer used (empty otherwise).",
    "items": {
        "type": "object",
        "properties": {"id": {"type": "string", "example": "src_4Fh2kQ9LmN3pR7sT1vWx"}, "title": {"type": "string"}},
    },
})
class CitedSourcesField(serializers.JSONField):
    pass


class MessageSerializer(serializers.ModelSerializer):
    cited_sources = CitedSourcesField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "role", "content", "cited_sources", "created_at"]
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "chatbot", "visitor_id", "user_id", "channel", "started_at", "last_message_at", "message_count"]
        read_only_fields = fields
        extra_kwargs = {
            "visitor_id": {"help_text": "An anonymous id the widget keeps per browser; the same visitor returning."},
            "user_id": {"help_text": "For a conversation over the chat API, the integration's own id for the person (may be empty)."},
            "channel": {"help_text": "Where the conversation happened: the widget, or the chat API."},
        }


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class ConversationFilter(django_filters.FilterSet):
    chatbot = chatbot_filter()
    started_after = UtcDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text="ISO 8601; conversations started at or after."
    )
    started_before = UtcDateTimeFilter(
        field_name="started_at", lookup_expr="lt", help_text="ISO 8601; conversations started before."
    )

    class Meta:
        model = Conversation
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List chatbots",
        description="The account's chatbots, newest first, with their embed keys and how much knowledge each has.",
        examples=[response_example(CHATBOT_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Create a chatbot",
        description=(
            "Only `name` is required; the rest take sensible defaults. The new chatbot gets its "
            "embed key at once. Beyond the plan's number of chatbots the answer is a 400 "
            "(`non_field_errors`)."
        ),
        examples=[
            OpenApiExample("Just a name", value={"name": "Sales bot"}, request_only=True),
            OpenApiExample("With settings", request_only=True, value={
                "name": "Sales bot", "welcome_message": "Questions about pricing? Ask away.",
                "allowed_domains": ["example.com"], "lead_collect_phone": True,
            }),
            response_example(CHATBOT_EXAMPLE),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a chatbot", parameters=[object_id("chatbot", CHATBOT_ID)],
        examples=[response_example(CHATBOT_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Change a chatbot",
        description="Send only the fields to change. `allowed_domains` replaces the whole list.",
        parameters=[object_id("chatbot", CHATBOT_ID)],
        examples=[
            OpenApiExample("Pause it", value={"status": "paused"}, request_only=True),
            response_example({**CHATBOT_EXAMPLE, "status": "paused"}),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a chatbot",
        description=(
            "Deletes the chatbot with its sources and conversations; its widget stops answering. "
            "Its leads are kept (their `chatbot` becomes null). " + DELETE_IS_FINAL
        ),
        parameters=[object_id("chatbot", CHATBOT_ID)],
    ),
)
class ChatbotViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin,
):
    model = Chatbot
    api_resource = "chatbots"
    serializer_class = ChatbotSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.with_knowledge()


@extend_schema_view(
    list=extend_schema(
        summary="List conversations",
        description="Chats between visitors and your chatbots, most recently started first, without their messages.",
        examples=[response_example(CONVERSATION_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Get a conversation with its messages",
        description="The messages come oldest first; an assistant message lists the sources it used.",
        parameters=[object_id("conversation", CONVERSATION_ID)],
        examples=[response_example(CONVERSATION_DETAIL_EXAMPLE)],
    ),
)
class ConversationViewSet(AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    model = Conversation
    api_resource = "conversations"
    filterset_class = ConversationFilter
    pagination_class = NewestConversationFirstPagination
    lookup_value_regex = ID_PATTERN

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ConversationDetailSerializer
        return ConversationSerializer

    def scope_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset.prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("created_at", "id")))
        return queryset
