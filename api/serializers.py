import re

from django.db import transaction
from rest_framework import serializers

from chatbots.models import Chatbot, Conversation, Message
from leads.models import Lead
from sources.models import Source

from .fields import AccountOwnedRelatedField, CitedSourcesField, CustomFieldsField
from .usage import knowledge_characters_used

MAX_SOURCE_CHARACTERS = 1_000_000
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
            "id", "name", "instructions", "welcome_message", "allowed_domains", "lead_capture_enabled",
            "lead_collect_name", "lead_collect_email", "lead_collect_phone", "status", "embed_key",
            "source_count", "knowledge_characters", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "embed_key", "created_at", "updated_at"]
        extra_kwargs = {
            "id": {"help_text": "The chatbot's id, such as bot_4Fh2kQ9LmN3pR7sT1vWx."},
            "name": {"help_text": "Shown to you only, in the dashboard and the API."},
            "instructions": {"help_text": "How the bot should answer: tone, scope, what to avoid."},
            "welcome_message": {"help_text": "The first message visitors see in the widget."},
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

    def validate(self, attrs):
        if self.instance is None:
            account = self.context["account"]
            limit = account.plan.max_chatbots
            if Chatbot.objects.for_account(account).count() >= limit:
                raise serializers.ValidationError(
                    f"Your {account.plan.name} plan allows {limit} chatbot(s). Delete one or upgrade to add more.",
                    code="plan_limit_reached",
                )
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # A freshly created or updated chatbot has no annotations: count its sources directly.
        if not hasattr(instance, "source_count"):
            data["source_count"] = instance.sources.count()
            data["knowledge_characters"] = knowledge_characters_used(instance.account, chatbot=instance)
        return data


class SourceSerializer(serializers.ModelSerializer):
    chatbot = AccountOwnedRelatedField(Chatbot)
    type = serializers.ChoiceField(
        choices=[Source.Type.TEXT, Source.Type.QA, Source.Type.URL],
        help_text="`text` (title, content), `qa` (question, answer) or `url` (fetched in the background).",
    )
    title = serializers.CharField(
        max_length=500, required=False, allow_blank=True,
        help_text="A `text` source's title; a `qa` source's question; a `url` source's page title once fetched.",
    )
    content = serializers.CharField(
        max_length=MAX_SOURCE_CHARACTERS, required=False, trim_whitespace=False,
        help_text="The text of a `text` source (at most 1,000,000 characters). In responses: on the detail only.",
    )
    # Not model fields: a Q&A source stores them as title and content. Responses include them
    # for `qa` sources only (the answer on the detail only), so they are not write-only.
    question = serializers.CharField(
        max_length=500, required=False, help_text="A `qa` source's question. In responses: `qa` sources only.",
    )
    answer = serializers.CharField(
        max_length=MAX_SOURCE_CHARACTERS, required=False,
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
        self._check_knowledge_limit(attrs)
        return attrs

    def _check_knowledge_limit(self, attrs):
        account = self.context["account"]
        adding = len(attrs.get("title", "")) * (attrs["type"] == Source.Type.QA) + len(attrs.get("content", ""))
        used = knowledge_characters_used(account)
        limit = account.plan.max_knowledge_characters
        if used + adding > limit:
            raise serializers.ValidationError(
                {"content": [
                    f"This source ({adding:,} characters) would exceed your {account.plan.name} plan's knowledge "
                    f"limit of {limit:,} characters ({used:,} used)."
                ]},
                code="plan_limit_reached",
            )

    def create(self, validated_data):
        kind = validated_data["type"]
        status = Source.Status.PENDING if kind == Source.Type.URL else Source.Status.READY
        with transaction.atomic():
            return Source.objects.create(status=status, **validated_data)

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


class LeadSerializer(serializers.ModelSerializer):
    # A plain string: the visitor may have left only a name or a phone number.
    email = serializers.CharField(read_only=True, help_text="The visitor's email address; empty if not given.")
    custom_fields = CustomFieldsField(read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "chatbot", "conversation", "name", "email", "phone", "custom_fields", "created_at", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {
            "chatbot": {"help_text": "The chatbot that captured it; null once that chatbot is deleted."},
            "conversation": {"help_text": "The conversation it came from; null if that was deleted."},
            "updated_at": {"help_text": "Last change; filter on it with `updated_after` for incremental syncs."},
        }


class MessageSerializer(serializers.ModelSerializer):
    cited_sources = CitedSourcesField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "role", "content", "cited_sources", "created_at"]
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "chatbot", "visitor_id", "channel", "started_at", "last_message_at", "message_count"]
        read_only_fields = fields
        extra_kwargs = {
            "visitor_id": {"help_text": "An anonymous id the widget keeps per browser; the same visitor returning."},
            "channel": {"help_text": "Where the conversation happened."},
        }


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class PlanSummarySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`free`, `starter`, `growth` or `business`.")
    name = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The first instant of this calendar month (UTC).")
    end = serializers.DateTimeField(help_text="The first instant of next month: monthly limits reset then.")


class ChatbotSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class LimitSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text="What the plan allows; null means no limit.")


class ResettingLimitSerializer(LimitSerializer):
    resets_at = serializers.DateTimeField(help_text="When `used` starts again from 0.")


class UsageLimitsSerializer(serializers.Serializer):
    message_credits = ResettingLimitSerializer(help_text="Visitors' messages this month.")
    knowledge_characters = LimitSerializer(help_text="Characters in knowledge sources.")
    chatbots = LimitSerializer(required=False, help_text="Account-wide report only.")
    team_members = LimitSerializer(required=False, help_text="Account-wide report only.")
    api_requests_per_minute = ResettingLimitSerializer(
        required=False, help_text="This minute's API requests, all keys together. Account-wide report only."
    )
    sources = LimitSerializer(required=False, help_text="With `?chatbot=` only: the chatbot's sources (no limit).")


# The shape of api.usage.usage_report(); UsageView renders the report through it.
class UsageSerializer(serializers.Serializer):
    plan = PlanSummarySerializer()
    period = PeriodSerializer(help_text="The calendar month that monthly limits count in.")
    chatbot = ChatbotSummarySerializer(required=False, help_text="With `?chatbot=` only: the chatbot reported on.")
    limits = UsageLimitsSerializer()
