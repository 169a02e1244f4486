"""Source workflows that count against the plan: adding a source."""

from usage import limits

from .models import Source


def create_source(*, account, chatbot, type, **fields):
    """Add a knowledge source to one of the account's chatbots; usage.limits.KnowledgeLimitReached
    when its characters would pass the plan's knowledge limit.

    Text and Q&A sources are ready at once. A URL source waits for the worker, which counts its
    page's characters against the limit when it has fetched them.
    """
    status = Source.Status.PENDING if type == Source.Type.URL else Source.Status.READY
    source = Source(account=account, chatbot=chatbot, type=type, status=status, **fields)
    # Counted and saved under the account's usage lock: concurrent sources take turns.
    with limits.room_for_knowledge(account, adding=source.counted_characters):
        source.save()
    return source
