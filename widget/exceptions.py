"""How the widget's endpoints answer errors: the API's `{"detail", "code"}` (api.exceptions), with
two differences of the widget's own."""

import logging

from rest_framework import exceptions

from api.exceptions import DATABASE_UNAVAILABLE, ServiceUnavailable, json_exception_handler

logger = logging.getLogger(__name__)


class InvalidInput(exceptions.APIException):
    """A 400 for a form's field errors: `{"detail": <the first>, "code": "invalid", "errors":
    {field: [messages]}}`, so the widget can show one message and still know every field."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, form):
        self.errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
        super().__init__(next(iter(self.errors.values()))[0])


def widget_exception_handler(exc, context):
    """The API's handler, and:
    - an unreachable database is answered here, not by pivra.middleware, so that the 503 leaves
      through the view and gets its CORS headers: the page on the customer's site can then read it
      (and its Retry-After) instead of seeing a network error;
    - a 400 for a form keeps its field errors beside the detail."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("Database unavailable for %s: %s", context["request"].path, exc.__class__.__name__)
        exc = ServiceUnavailable()
    response = json_exception_handler(exc, context)
    if isinstance(exc, InvalidInput):
        response.data["errors"] = exc.errors
    return response
