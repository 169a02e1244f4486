"""The background job of a `url` source: fetch its page and store its text (jobs/queue.py).

Deferred with the source (sources.services.create_source, the admin), so every URL source
committed has its job. A job whose worker died is run again whole (jobs/tasks.py), and a job
that finds its source already finished or deleted does nothing: each source ends `ready` or
`failed` once.
"""

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from usage import limits

from .extract import page_text
from .fetcher import FetchError, fetch
from .models import MAX_CONTENT_CHARACTERS, Source

logger = logging.getLogger(__name__)


# A database error (a failover, say) leaves the source `processing`: try again a few times over a
# quarter of an hour. Problems with the page itself are the source's outcome, not the job's.
@app.task(
    queue="sources", name="sources.fetch_source",
    retry=RetryStrategy(max_attempts=5, linear_wait=90, retry_exceptions={DatabaseError}),
)
def fetch_source(source_id):
    """Fetch a URL source and mark it `ready` with its text, or `failed` with the reason; return
    it, or None when it was deleted, already finished, or taken over meanwhile."""
    source = _start(source_id)
    if source is None:
        return None
    try:
        title, content = page_text(fetch(source.url))
        # PostgreSQL text cannot hold NUL characters; no page means them as text anyway.
        content = content.replace("\x00", "")
        _check_length(content)
    except FetchError as error:
        return _finish(source, status=Source.Status.FAILED, error=str(error))
    except Exception:
        logger.exception("Source %s: unexpected error while fetching", source.pk)
        return _finish(source, status=Source.Status.FAILED, error="Pivra could not read this page.")
    fields = {"status": Source.Status.READY, "content": content, "error": ""}
    if not source.title and title:
        fields["title"] = title[:500]
    try:
        # Counted and saved under the account's usage lock, like a source added through the API.
        with limits.room_for_knowledge(source.account, adding=len(content), replacing=source):
            return _finish(source, **fields)
    except limits.KnowledgeLimitReached as over:
        return _finish(source, status=Source.Status.FAILED, error=(
            f"The page's text ({over.adding:,} characters) would exceed the {over.plan_name} plan's knowledge "
            f"limit of {over.limit:,} characters ({over.used:,} used)."
        ))


def _start(source_id):
    """Mark the source `processing` from now, unless it is gone or finished; None then.

    A source still `processing` is taken: its previous job's worker died, or is taken for dead.
    """
    now = timezone.now()
    started = Source.objects.filter(
        pk=source_id, type=Source.Type.URL, status__in=[Source.Status.PENDING, Source.Status.PROCESSING]
    ).update(status=Source.Status.PROCESSING, processing_started_at=now, error="", updated_at=now)
    # Read back with the time just set: a later run of the job may have taken it over already.
    source = Source.objects.select_related("account__plan").filter(pk=source_id, processing_started_at=now).first()
    if not started or source is None:
        logger.info("Source %s: nothing to fetch (deleted, finished or taken over)", source_id)
        return None
    return source


def _check_length(content):
    if not content.strip():
        raise FetchError("The page has no readable text.")
    if len(content) > MAX_CONTENT_CHARACTERS:
        raise FetchError(f"The page's text is longer than {MAX_CONTENT_CHARACTERS:,} characters.")


def _finish(source, **fields):
    """Save the outcome, unless the source was deleted meanwhile, or taken over by a later run of
    its job (this worker was taken for dead): the later run's outcome is the one that counts."""
    with transaction.atomic():
        current = (
            Source.objects.select_for_update()
            .filter(pk=source.pk, status=Source.Status.PROCESSING, processing_started_at=source.processing_started_at)
            .first()
        )
        if current is None:
            return None
        for name, value in fields.items():
            setattr(current, name, value)
        current.save(update_fields=[*fields, "updated_at"])  # re-indexes it once committed
    logger.info("Source %s is %s: %s", current.pk, current.status, current.error or f"{current.character_count:,} characters")
    return current
