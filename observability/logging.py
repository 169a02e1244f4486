"""Log records tagged with the request they belong to (see observability.requests)."""

import json
import logging
import time

from .requests import current_request


class RequestContextFilter(logging.Filter):
    """Add `request_id` (and method, path, account_id) to every record handled while a request is
    served; "-" outside one, so a plain format string never fails."""

    def filter(self, record):
        context = current_request()
        record.request_id = context.request_id if context else "-"
        record.method = context.method if context else None
        record.path = context.path if context else None
        record.account_id = context.account_id if context else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time, level, logger, message, and the
    request's id, method, path and account while one is served; an access line adds its status
    and duration. Hand-written: twenty lines of json.dumps beat a dependency, and fields appear
    only when known, so a job's line is not padded with nulls."""

    REQUEST_FIELDS = ("request_id", "method", "path", "account_id", "status", "duration_ms")

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value not in (None, "-"):
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)

    # Times are UTC, whatever the host's zone: lines from several hosts sort together.
    converter = time.gmtime
