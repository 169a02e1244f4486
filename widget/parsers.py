from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation

from api.parsers import JSONParser

# The widget sends a message of at most 2,000 characters or a short lead form: a body past this
# is not the widget's, and is refused before it is read (the site-wide limit is 5 MB).
MAX_BODY_BYTES = 32 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class JsonObjectParser(JSONParser):
    """A JSON object of at most MAX_BODY_BYTES; anything else is a 400 `invalid_json` (or a 413)."""

    def parse(self, stream, media_type=None, parser_context=None):
        # RequestBodyLimitMiddleware has already refused a Content-Length that is not a number.
        if int(parser_context["request"].META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            raise RequestTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError("The request body is not valid JSON.", code="invalid_json") from None
        if not isinstance(data, dict):
            raise exceptions.ParseError("The request body must be a JSON object.", code="invalid_json")
        return data


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """The widget's endpoints read JSON and answer JSON whatever Content-Type and Accept say, as
    they always have: a visitor's browser or a customer's page must not get a 415 or a 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
