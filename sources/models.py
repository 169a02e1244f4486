from functools import partial

from django.contrib.postgres.search import SearchVectorField
from django.db import models, transaction
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account, AccountScopedQuerySet
from chatbots.models import Chatbot


# A text source's content, a Q&A answer, and a fetched page's text are each at most this long.
MAX_CONTENT_CHARACTERS = 1_000_000


class Source(models.Model):
    """A knowledge source of a chatbot. For a Q&A source, `title` is the question and `content`
    the answer."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        QA = "qa", "Q&A"
        URL = "url", "URL"
        FILE = "file", "File"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = PublicIdField(prefix="src")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sources")
    chatbot = models.ForeignKey(Chatbot, on_delete=models.CASCADE, related_name="sources")
    type = models.CharField(max_length=10, choices=Type.choices)
    title = models.CharField(max_length=500, blank=True)
    content = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True)
    character_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="source_account_newest"),
            models.Index(fields=["chatbot", "status"], name="source_chatbot_status"),
        ]

    def __str__(self):
        return self.title or self.url or self.id

    @property
    def counted_characters(self):
        """What the source counts against the plan's knowledge limit: a Q&A source's question and
        answer, any other source's text."""
        return len(self.title) + len(self.content) if self.type == self.Type.QA else len(self.content)

    def save(self, *args, **kwargs):
        self.character_count = self.counted_characters
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "character_count"}
        super().save(*args, **kwargs)
        # Every save (the API, the admin, a URL source's job) re-indexes, once committed: the passages
        # are built from committed text, and a failure to build them does not undo the save.
        from .search import index_source_after_commit  # search.py imports this module

        transaction.on_commit(partial(index_source_after_commit, self.pk))


class SourcePassage(models.Model):
    """A passage of a ready source: what the widget searches and quotes.

    Derived data, rebuilt from its source after each save (`sources.search.index_source`).
    Passages are small, so each one's tsvector is small too (a whole 1,000,000-character source
    could overflow PostgreSQL's 1 MB tsvector limit), and an answer can quote the paragraph that
    matches instead of a whole document.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    # Filled on PostgreSQL only (a GIN index on it is created by migration 0002); NULL on SQLite,
    # where passages are ranked by keyword overlap instead.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["source_id", "position"]

    def __str__(self):
        return f"{self.title or self.source_id} #{self.position}"
