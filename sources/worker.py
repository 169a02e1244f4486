"""The background worker for `url` sources: claim one from the database, fetch it, store its text.

Any number of workers may run on any number of hosts: a source is claimed with a row lock that
other workers skip (PostgreSQL) and a compare-and-set UPDATE (which is what makes it safe on SQLite).
"""

import logging
import time
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from usage import limits

from .extract import page_text
from .fetcher import FetchError, fetch
from .models import MAX_CONTENT_CHARACTERS, Source

logger = logging.getLogger(__name__)

# Far longer than a fetch may take (SOURCE_FETCH_TIMEOUT_SECONDS): a source still `processing`
# after this was claimed by a worker that died, and is claimed again.
STALE_AFTER = timedelta(minutes=5)


def process_pending(limit=None):
    """Process pending (and stale) url sources until none are left, or `limit`; return how many."""
    count = 0
    while (limit is None or count < limit) and process_next_source() is not None:
        count += 1
    return count


def process_next_source():
    """Claim and process the oldest waiting url source; return it, or None if none is waiting."""
    source = claim_next_source()
    if source is None:
        return None
    return process_source(source) or source


def claim_next_source():
    """Mark the oldest pending (or stale processing) url source as `processing` for this worker."""
    for _ in range(10):  # a lost race means try the next source; a bounded number of times
        now = timezone.now()
        with transaction.atomic():
            source = (
                Source.objects.filter(type=Source.Type.URL)
                .filter(Q(status=Source.Status.PENDING) | Q(status=Source.Status.PROCESSING, processing_started_at__lt=now - STALE_AFTER))
                .order_by("created_at")
                .select_for_update(skip_locked=True)  # a no-op on SQLite
                .first()
            )
            if source is None:
                return None
            claimed = Source.objects.filter(
                pk=source.pk, status=source.status, processing_started_at=source.processing_started_at
            ).update(status=Source.Status.PROCESSING, processing_started_at=now, error="", updated_at=now)
        if claimed:
            source.status, source.processing_started_at, source.error = Source.Status.PROCESSING, now, ""
            return source
    return None


def process_source(source):
    """Fetch a claimed source and mark it `ready` with its text, or `failed` with the reason."""
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


def _check_length(content):
    if not content.strip():
        raise FetchError("The page has no readable text.")
    if len(content) > MAX_CONTENT_CHARACTERS:
        raise FetchError(f"The page's text is longer than {MAX_CONTENT_CHARACTERS:,} characters.")


def _finish(source, **fields):
    """Save the outcome, unless the source was deleted or claimed again by another worker meanwhile."""
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


def run_worker(*, should_stop, idle_seconds=1.0):
    """Process url sources until `should_stop()` is true, polling every `idle_seconds` when idle."""
    while not should_stop():
        # Django closes broken or expired connections per request; a long-running loop must do it
        # itself, or one database restart would break it for good.
        close_old_connections()
        try:
            busy = process_next_source() is not None
        except DatabaseError:
            logger.exception("Source worker: database error, retrying")
            busy = False
        if not busy:
            time.sleep(idle_seconds)
