from django.db import models
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account, AccountScopedQuerySet
from accounts.tokens import EMBED_KEY_PREFIX, generate_token

DEFAULT_FALLBACK_ANSWER = "Sorry, I couldn't find an answer to that."


def new_embed_key():
    return generate_token(EMBED_KEY_PREFIX)


class ChatbotQuerySet(AccountScopedQuerySet):
    def with_knowledge(self):
        """Annotate each chatbot's `source_count` and `knowledge_characters`."""
        return self.annotate(
            source_count=Count("sources"), knowledge_characters=Coalesce(Sum("sources__character_count"), 0)
        )


class Chatbot(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    id = PublicIdField(prefix="bot")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="chatbots")
    name = models.CharField(max_length=100)
    instructions = models.TextField(blank=True, max_length=10_000)
    welcome_message = models.CharField(max_length=500, default="Hi! How can I help you today?")
    # What the bot says when no passage of its sources matches the question (no model is asked).
    fallback_answer = models.CharField(max_length=500, default=DEFAULT_FALLBACK_ANSWER)
    allowed_domains = models.JSONField(default=list, blank=True, help_text="Host names; empty means any site.")
    lead_capture_enabled = models.BooleanField(default=True)
    lead_collect_name = models.BooleanField(default=True)
    lead_collect_email = models.BooleanField(default=True)
    lead_collect_phone = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Public by design: it sits in every visitor's browser and can only talk to the widget API.
    embed_key = models.CharField(max_length=64, unique=True, default=new_embed_key, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChatbotQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="chatbot_account_newest")]

    def __str__(self):
        return self.name

    @property
    def lead_fields(self):
        """The lead form's fields, in order, as the chatbot collects them."""
        wanted = {"name": self.lead_collect_name, "email": self.lead_collect_email, "phone": self.lead_collect_phone}
        return [name for name, collected in wanted.items() if collected]

    def regenerate_embed_key(self):
        self.embed_key = new_embed_key()
        self.save(update_fields=["embed_key", "updated_at"])


class Conversation(models.Model):
    class Channel(models.TextChoices):
        WIDGET = "widget", "Widget"
        API = "api", "API"

    id = PublicIdField(prefix="conv")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="conversations")
    chatbot = models.ForeignKey(Chatbot, on_delete=models.CASCADE, related_name="conversations")
    visitor_id = models.CharField(max_length=64, blank=True)
    # The chat API's: the integration's own id for the person, fixed when the conversation starts.
    user_id = models.CharField(max_length=128, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WIDGET)
    started_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-started_at"], name="conversation_account_newest"),
            models.Index(fields=["chatbot", "-started_at"], name="conversation_chatbot_newest"),
        ]

    def __str__(self):
        return f"{self.chatbot} · {self.started_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Engine(models.TextChoices):
        EXTRACTIVE = "extractive", "Extractive (quotes the best passages)"
        LLM = "llm", "Language model"

    id = PublicIdField(prefix="msg")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    content = models.TextField()
    # For an assistant message: [{"id": "src_…", "title": "…"}], copied so deleting a source
    # later does not rewrite what the bot said.
    cited_sources = models.JSONField(default=list, blank=True)
    # For an assistant message: what wrote it, and what the model server reported it cost.
    engine = models.CharField(max_length=10, choices=Engine.choices, blank=True)
    model = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="message_conversation_order")]

    def __str__(self):
        return f"{self.role}: {self.content[:50]}"
