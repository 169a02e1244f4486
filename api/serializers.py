import re

from django.db import transaction
from rest_framework import serializers

from chatbots.models import Chatbot, Conversation, Message
from leads.models import Lead
from sources.models import Source

from .fields import AccountOwnedRelatedField
from .usage import knowledge_characters_used

MAX_SOURCE_CHARACTERS = 1_000_000
HOST_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


class ChatbotSerializer(serializers.ModelSerializer):
    allowed_domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, max_length=100,
        help_text="Host names the widget may be embedded on, such as example.com; empty means any site.",
    )
    source_count = serializers.IntegerField(read_only=True)
    knowledge_characters = serializers.IntegerField(read_only=True)

    class Meta:
        model = Chatbot
        fields = [
            "id", "name", "instructions", "welcome_message", "allowed_domains", "lead_capture_enabled",
            "lead_collect_name", "lead_collect_email", "lead_collect_phone", "status", "embed_key",
            "source_count", "knowledge_characters", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "embed_key", "created_at", "updated_at"]

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
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    content = serializers.CharField(
        max_length=MAX_SOURCE_CHARACTERS, required=False, trim_whitespace=False,
        help_text="The text of a `text` source (at most 1,000,000 characters). Shown on detail only.",
    )
    question = serializers.CharField(max_length=500, required=False, write_only=True)
    answer = serializers.CharField(max_length=MAX_SOURCE_CHARACTERS, required=False, write_only=True)
    url = serializers.URLField(max_length=2000, required=False)

    class Meta:
        model = Source
        fields = [
            "id", "chatbot", "type", "title", "content", "question", "answer", "url", "character_count",
            "status", "error", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "character_count", "status", "error", "created_at", "updated_at"]

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

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["chatbot"] = instance.chatbot_id
        if instance.type == Source.Type.QA:
            data["question"], data["answer"] = instance.title, instance.content
        view = self.context.get("view")
        if view is not None and getattr(view, "action", None) != "retrieve":
            data.pop("content", None)  # lists stay small; the text is on the detail
            data.pop("answer", None)
        return data


class LeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = ["id", "chatbot", "conversation", "name", "email", "phone", "custom_fields", "created_at", "updated_at"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "role", "content", "cited_sources", "created_at"]
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "chatbot", "visitor_id", "channel", "started_at", "last_message_at", "message_count"]
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields
