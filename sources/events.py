"""The webhook events of sources: `source.ready` when a text or Q&A source is added and when a URL
source's job ends well, `source.failed` when it does not."""

from webhooks.events import emit

from .models import Source

STATUS_EVENTS = {Source.Status.READY: "source.ready", Source.Status.FAILED: "source.failed"}


def emit_status(source):
    """Queue the event of the status `source` just reached, with the source as the API lists it
    (without its text, which may be a megabyte). Call it in the transaction that saves the status."""
    from .api import SourceSerializer  # api.py imports services.py, which imports tasks.py, our caller

    data = {name: value for name, value in SourceSerializer(source).data.items() if name not in ("content", "answer")}
    emit(source.account_id, STATUS_EVENTS[source.status], data)
