"""The knowledge sources of the REST API: /api/sources."""

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from api.fields import ID_PATTERN, AccountOwnedRelatedField
from api.schema import DELETE_IS_FINAL, object_id, response_example
from api.scoping import AccountScopedViewSet
from chatbots.api import CHATBOT_ID, chatbot_filter
from usage import limits

from .models import MAX_CONTENT_CHARACTERS, Source
from .services import create_source

SOURCE_EXAMPLE = {
    "id": "src_2Wc9Lp4Qx7Mz1Rb5Tn8K",
    "chatbot": CHATBOT_ID,
    "type": "text",
    "title": "Shipping policy",
    "content": "We ship within 3 working days. Orders over €50 ship free.",
    "character_count": 56,
    "status": "ready",
    "error": "",
    "created_at": "2026-05-12T10:00:00Z",
    "updated_at": "2026-05-12T10:00:00Z",
}


class SourceSerializer(serializers.ModelSerializer):
    chatbot = AccountOwnedRelatedField("chatbots")
    type = serializers.ChoiceField(
        choices=[Source.Type.TEXT, Source.Type.QA, Source.Type.URL],
        help_text="`text` (title, content), `qa` (question, answer) or `url` (fetched in the background).",
    )
    title = serializers.CharField(
        max_length=500, required=False, allow_blank=True,
        help_text="A `text` source's title; a `qa` source's question; a `url` source's page title once fetched.",
    )
    content = serializers.CharField(
        max_length=MAX_CONTENT_CHARACTERS, required=False, trim_whitespace=False,
        help_text="The text of a `text` source (at most 1,000,000 characters). In responses: on the detail only.",
    )
    # Not model fields: a Q&A source stores them as title and content. Responses include them
    # for `qa` sources only (the answer on the detail only), so they are not write-only.
    question = serializers.CharField(
        max_length=500, required=False, help_text="A `qa` source's question. In responses: `qa` sources only.",
    )
    answer = serializers.CharField(
        max_length=MAX_CONTENT_CHARACTERS, required=False,
        help_text="A `qa` source's answer. In responses: `qa` sources, on the detail only.",
    )
    url = serializers.URLField(
        max_length=2000, required=False,
        help_text="A `url` source's web page (http or https, public addresses only), fetched in the background. "
        "In responses: `url` sources only.",
    )

    class Meta:
        model = Source
        fields = [
            "id", "chatbot", "type", "title", "content", "question", "answer", "url", "character_count",
            "status", "error", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "character_count", "status", "error", "created_at", "updated_at"]
        extra_kwargs = {
            "character_count": {"help_text": "Counted against the plan's knowledge limit."},
            "status": {
                "help_text": "`pending` → `processing` → `ready`, or `failed` (see `error`). Only `ready` "
                "sources are used in answers; `text` and `qa` sources are ready at once.",
            },
            "error": {"help_text": "Why a `failed` source failed; empty otherwise."},
        }

    REQUIRED_BY_TYPE = {Source.Type.TEXT: ["content"], Source.Type.QA: ["question", "answer"], Source.Type.URL: ["url"]}

    def validate_url(self, url):
        if not url.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https URLs can be fetched.")
        return url

    def validate(self, attrs):
        kind = attrs["type"]
        missing = {field: "This field is required for a %s source." % kind for field in self.REQUIRED_BY_TYPE[kind] if not attrs.get(field)}
        if missing:
            raise serializers.ValidationError(missing)
        if kind == Source.Type.QA:
            attrs["title"], attrs["content"] = attrs.pop("question"), attrs.pop("answer")
            attrs.pop("url", None)
        elif kind == Source.Type.TEXT:
            attrs.pop("url", None)
        else:
            attrs.pop("content", None)
        attrs.pop("question", None)
        attrs.pop("answer", None)
        return attrs

    def create(self, validated_data):
        # The plan's knowledge limit is checked here, not in validate(): the count and the insert
        # must share the transaction that holds the account's usage lock.
        try:
            return create_source(**validated_data)
        except limits.KnowledgeLimitReached as error:
            raise serializers.ValidationError({"content": [str(error)]}, code="plan_limit_reached") from None

    def _shows_text(self):
        view = self.context.get("view")
        return view is None or getattr(view, "action", None) == "retrieve"

    @property
    def _readable_fields(self):
        # Lists stay small and their query does not load the text (it may be a megabyte per
        # source): reading it here would cost one query per row. The text is on the detail.
        shows_text = self._shows_text()
        for field in super()._readable_fields:
            if shows_text or field.field_name not in ("content", "answer"):
                yield field

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["chatbot"] = instance.chatbot_id
        if instance.type == Source.Type.QA:
            data["question"] = instance.title
            if self._shows_text():
                data["answer"] = instance.content
        else:
            data.pop("question", None)
            data.pop("answer", None)
        if instance.type != Source.Type.URL:
            data.pop("url", None)
        return data


class SourceFilter(django_filters.FilterSet):
    chatbot = chatbot_filter()
    type = django_filters.ChoiceFilter(choices=Source.Type.choices, help_text="Only sources of this type.")
    status = django_filters.ChoiceFilter(
        choices=Source.Status.choices, help_text="Only sources in this state, e.g. `failed` to find broken web pages."
    )

    class Meta:
        model = Source
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List knowledge sources",
        description="Newest first. The list leaves out `content` and `answer`; get a source to read them.",
        examples=[response_example({
            key: value for key, value in SOURCE_EXAMPLE.items() if key != "content"
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
                "chatbot": CHATBOT_ID, "type": "text", "title": "Shipping policy",
                "content": "We ship within 3 working days. Orders over €50 ship free.",
            }),
            OpenApiExample("Q&A", request_only=True, value={
                "chatbot": CHATBOT_ID, "type": "qa",
                "question": "Do you ship to Ireland?", "answer": "Yes, in 3 to 5 working days.",
            }),
            OpenApiExample("Web page", request_only=True, value={
                "chatbot": CHATBOT_ID, "type": "url", "url": "https://example.com/faq",
            }),
            response_example(SOURCE_EXAMPLE),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a knowledge source", parameters=[object_id("source", SOURCE_EXAMPLE["id"])],
        examples=[response_example(SOURCE_EXAMPLE)],
    ),
    destroy=extend_schema(
        summary="Delete a knowledge source",
        description="The chatbot stops using it at once. " + DELETE_IS_FINAL,
        parameters=[object_id("source", SOURCE_EXAMPLE["id"])],
    ),
)
class SourceViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    model = Source
    api_resource = "sources"
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    lookup_value_regex = ID_PATTERN

    def scope_queryset(self, queryset):
        if self.action == "list":
            return queryset.defer("content")
        return queryset
