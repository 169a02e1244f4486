"""Log records tagged with the request they belong to (see observability.requests)."""

import logging

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
