"""Source workflows that count against the plan: adding a source."""

from jobs.queue import defer
from usage import limits

from .events import emit_status
from .models import Source
from .tasks import fetch_source


def create_source(*, account, chatbot, type, **fields):
    """Add a knowledge source to one of the account's chatbots; usage.limits.KnowledgeLimitReached
    when its characters would pass the plan's knowledge limit.

    Text and Q&A sources are ready at once (and say so to webhooks). A URL source is `pending`
    until its job (sources.tasks.fetch_source) has fetched the page and counted its characters
    against the limit.
    """
    status = Source.Status.PENDING if type == Source.Type.URL else Source.Status.READY
    source = Source(account=account, chatbot=chatbot, type=type, status=status, **fields)
    # Counted and saved under the account's usage lock: concurrent sources take turns.
    with limits.room_for_knowledge(account, adding=source.counted_characters):
        source.save()
        if type == Source.Type.URL:
            defer(fetch_source, source_id=source.pk)  # in this transaction: no source without its job
        else:
            emit_status(source)  # source.ready
    return source
