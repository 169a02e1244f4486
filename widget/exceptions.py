"""How the widget's endpoints answer errors: the API's `{"detail", "code"}` (api.exceptions), and
for a form's 400 its field errors too."""

from rest_framework import exceptions

from api.exceptions import json_exception_handler


class InvalidInput(exceptions.APIException):
    """A 400 for a form's field errors: `{"detail": <the first>, "code": "invalid", "errors":
    {field: [messages]}}`, so the widget can show one message and still know every field."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, form):
        self.errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
        super().__init__(next(iter(self.errors.values()))[0])


def widget_exception_handler(exc, context):
    """The API's handler (which also answers an unreachable database with a 503 that leaves
    through the view, so it gets the widget's CORS headers), and a 400 for a form keeps its field
    errors beside the detail."""
    response = json_exception_handler(exc, context)
    if isinstance(exc, InvalidInput):
        response.data["errors"] = exc.errors
    return response
