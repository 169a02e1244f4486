"""The request being served: its id, method, path and account, for every log line and error body.

`RequestContextMiddleware`, first in MIDDLEWARE, keeps them in a contextvar for the request's
duration, so a log call anywhere below (a view, an authentication class, the 500 handler) is
tagged without being passed the request. A contextvar is per thread and per task: threaded
workers and job workers do not see each other's.
"""

import contextvars
import logging
import re
import time
import uuid
from dataclasses import dataclass

from . import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it is plainly an id: a load balancer's, or one the customer sent to
# find their call in our logs later. Anything else (too long, spaces, quotes) is replaced, so a
# header cannot forge log lines or bloat them.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")


@dataclass
class RequestContext:
    request_id: str
    method: str
    path: str
    account_id: str | None = None


_current = contextvars.ContextVar("pivra_request", default=None)
access_logger = logging.getLogger("pivra.access")


def current_request():
    """The RequestContext of the request being served, or None outside one (a job, a command)."""
    return _current.get()


def current_request_id():
    context = _current.get()
    return context.request_id if context else None


def set_account(account_id):
    """Name the account the request acts for, once authentication knows it."""
    context = _current.get()
    if context is not None:
        context.account_id = account_id


class RequestContextMiddleware:
    """Give every request an id, answered in X-Request-ID (the incoming one if well formed), and
    log one access line when it is answered: method, path (never the query string, where a
    careless client may put a key), status and duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if WELL_FORMED_ID.fullmatch(incoming) else uuid.uuid4().hex
        context = RequestContext(request_id, request.method, request.path)
        started = time.monotonic()
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        if response.streaming:
            # A stream's body is made after this returns (a chat answer, a CSV export): its log
            # lines belong to the request too, and it is logged and measured once it ends.
            response.streaming_content = _streamed(
                response.streaming_content, context, lambda: self.finish(request, response, started, context)
            )
        else:
            self.finish(request, response, started, context)
        return response

    @staticmethod
    def finish(request, response, started, context):
        token = _current.set(context)
        try:
            seconds = time.monotonic() - started
            duration_ms = round(seconds * 1000, 1)
            view = _view_name(request)
            metrics.REQUESTS.labels(view, _method(request), str(response.status_code)).inc()
            metrics.REQUEST_SECONDS.labels(view).observe(seconds)
            access_logger.info(
                "%s %s %s %.1f ms", request.method, request.path, response.status_code, duration_ms,
                extra={"status": response.status_code, "duration_ms": duration_ms},
            )
        finally:
            _current.reset(token)


def _streamed(chunks, context, finish):
    token = _current.set(context)
    try:
        yield from chunks
    finally:
        _current.reset(token)
        finish()


def _view_name(request):
    """The URL's name (`lead-list`, `widget_messages`), bounded, never a path with its ids."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or "unnamed"


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _method(request):
    return request.method if request.method in KNOWN_METHODS else "other"  # a label a client cannot multiply
