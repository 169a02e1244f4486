from django.contrib.postgres.search import SearchVectorField
from django.db import models

from chatbots.models import Chatbot
from sources.models import Source


class SourcePassage(models.Model):
    """A passage of a ready source: what the widget searches and quotes.

    Derived data, rebuilt from its source whenever the source's `updated_at` moves on (see
    `widget.retrieval.index_stale_sources`), so the widget never needs hooks in the code that
    saves sources. Passages are small, so each one's tsvector is small too (a whole 1,000,000-
    character source could overflow PostgreSQL's 1 MB tsvector limit), and an answer can quote
    the paragraph that matches instead of a whole document.
    """

    # Indexed by `passage_source_version`, whose first column is the source.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+", db_index=False)
    chatbot = models.ForeignKey(Chatbot, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    source_updated_at = models.DateTimeField()
    # Filled on PostgreSQL only (a GIN index on it is created by migration 0002); NULL on SQLite,
    # where the widget ranks passages by keyword overlap instead.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["source_id", "position"]
        indexes = [
            models.Index(fields=["source", "source_updated_at"], name="passage_source_version"),
        ]

    def __str__(self):
        return f"{self.title or self.source_id} #{self.position}"
