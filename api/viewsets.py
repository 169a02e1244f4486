from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins

from chatbots.models import Chatbot, Conversation, Message
from leads.models import Lead
from sources.models import Source

from . import filters, schema, serializers
from .fields import ID_PATTERN
from .pagination import NewestConversationFirstPagination
from .scoping import AccountScopedViewSet


def object_id(noun, example):
    return OpenApiParameter(
        "id", str, OpenApiParameter.PATH, pattern=f"^{ID_PATTERN}$",
        description=f"The {noun}'s id, such as `{example}`.",
    )


def response_example(value, name="Example"):
    return OpenApiExample(name, value=value, response_only=True)


DELETE_IS_FINAL = "Answers 204 with no body. There is no undo."


@extend_schema_view(
    list=extend_schema(
        summary="List chatbots",
        description="The account's chatbots, newest first, with their embed keys and how much knowledge each has.",
        examples=[response_example(schema.CHATBOT_EXAMPLE)],
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
            response_example(schema.CHATBOT_EXAMPLE),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a chatbot", parameters=[object_id("chatbot", schema.CHATBOT_ID)],
        examples=[response_example(schema.CHATBOT_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Change a chatbot",
        description="Send only the fields to change. `allowed_domains` replaces the whole list.",
        parameters=[object_id("chatbot", schema.CHATBOT_ID)],
        examples=[
            OpenApiExample("Pause it", value={"status": "paused"}, request_only=True),
            response_example({**schema.CHATBOT_EXAMPLE, "status": "paused"}),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a chatbot",
        description=(
            "Deletes the chatbot with its sources and conversations; its widget stops answering. "
            "Its leads are kept (their `chatbot` becomes null). " + DELETE_IS_FINAL
        ),
        parameters=[object_id("chatbot", schema.CHATBOT_ID)],
    ),
)


class ChatbotViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin,
):
    model = Chatbot
    serializer_class = serializers.ChatbotSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.annotate(
            source_count=Count("sources"),
            knowledge_characters=Coalesce(Sum("sources__character_count"), 0),
        )


@extend_schema_view(
    list=extend_schema(
        summary="List knowledge sources",
        description="Newest first. The list leaves out `content` and `answer`; get a source to read them.",
        examples=[response_example({
            key: value for key, value in schema.SOURCE_EXAMPLE.items() if key != "content"
        })],
    ),
    create=extend_schema(
        summary="Add a knowledge source",
        description=(
            "A `text` source needs `content` (at most 1,000,000 characters) and may have a `title`; "
            "a `qa` source needs `question` and `answer`; both are `ready` at once. A `url` source "
            "needs `url`: it starts `pending` and is fetched in the background, from public "
            "addresses only, until it is `ready` or `failed` (see `error`). Poll the source to follow "
            "it. `chatbot` must be one of the account's chatbots; beyond the plan's knowledge "
            "characters the answer is a 400."
        ),
        examples=[
            OpenApiExample("Text", request_only=True, value={
                "chatbot": schema.CHATBOT_ID, "type": "text", "title": "Shipping policy",
                "content": "We ship within 3 working days. Orders over €50 ship free.",
            }),
            OpenApiExample("Q&A", request_only=True, value={
                "chatbot": schema.CHATBOT_ID, "type": "qa",
                "question": "Do you ship to Ireland?", "answer": "Yes, in 3 to 5 working days.",
            }),
            OpenApiExample("Web page", request_only=True, value={
                "chatbot": schema.CHATBOT_ID, "type": "url", "url": "https://example.com/faq",
            }),
            response_example(schema.SOURCE_EXAMPLE),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a knowledge source", parameters=[object_id("source", schema.SOURCE_EXAMPLE["id"])],
        examples=[response_example(schema.SOURCE_EXAMPLE)],
    ),
    destroy=extend_schema(
        summary="Delete a knowledge source",
        description="The chatbot stops using it at once. " + DELETE_IS_FINAL,
        parameters=[object_id("source", schema.SOURCE_EXAMPLE["id"])],
    ),
)
class SourceViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    model = Source
    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilter
    lookup_value_regex = ID_PATTERN

    def scope_queryset(self, queryset):
        if self.action == "list":
            return queryset.defer("content")
        return queryset


@extend_schema_view(
    list=extend_schema(
        summary="List leads",
        description=(
            "Contact details your chatbots captured, newest first. To sync them into a CRM, keep the "
            "time of your last sync and ask for `updated_after` it, following `next` until it is null."
        ),
        examples=[response_example(schema.LEAD_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Get a lead", parameters=[object_id("lead", schema.LEAD_EXAMPLE["id"])],
        examples=[response_example(schema.LEAD_EXAMPLE)],
    ),
    destroy=extend_schema(
        summary="Delete a lead",
        description="For example when a visitor asks to be forgotten. " + DELETE_IS_FINAL,
        parameters=[object_id("lead", schema.LEAD_EXAMPLE["id"])],
    ),
)
class LeadViewSet(AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin):
    model = Lead
    serializer_class = serializers.LeadSerializer
    filterset_class = filters.LeadFilter
    lookup_value_regex = ID_PATTERN


@extend_schema_view(
    list=extend_schema(
        summary="List conversations",
        description="Chats between visitors and your chatbots, most recently started first, without their messages.",
        examples=[response_example(schema.CONVERSATION_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Get a conversation with its messages",
        description="The messages come oldest first; an assistant message lists the sources it used.",
        parameters=[object_id("conversation", schema.CONVERSATION_ID)],
        examples=[response_example(schema.CONVERSATION_DETAIL_EXAMPLE)],
    ),
)
class ConversationViewSet(AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    model = Conversation
    filterset_class = filters.ConversationFilter
    pagination_class = NewestConversationFirstPagination
    lookup_value_regex = ID_PATTERN

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ConversationDetailSerializer
        return serializers.ConversationSerializer

    def scope_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset.prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("created_at", "id")))
        return queryset
