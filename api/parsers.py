from rest_framework import exceptions, parsers
from rest_framework.negotiation import BaseContentNegotiation


class JSONParser(parsers.JSONParser):
    """DRF's, except that a body nested too deeply for Python's parser (`[[[[…`) is a 400 like
    any other malformed JSON, not a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class JsonObjectParser(JSONParser):
    """A JSON object of at most `max_bytes`; anything else is a 400 `invalid_json` (or a 413)."""

    max_bytes = None  # a subclass sets it below the site-wide limit of RequestBodyLimitMiddleware

    def parse(self, stream, media_type=None, parser_context=None):
        # RequestBodyLimitMiddleware has already refused a Content-Length that is not a number.
        if self.max_bytes and int(parser_context["request"].META.get("CONTENT_LENGTH") or 0) > self.max_bytes:
            raise RequestTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError("The request body is not valid JSON.", code="invalid_json") from None
        if not isinstance(data, dict):
            raise exceptions.ParseError("The request body must be a JSON object.", code="invalid_json")
        return data


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """Read the first parser's format and answer in the first renderer's, whatever Content-Type
    and Accept say: for endpoints called from pages Pivra does not control (the widget's), where a
    visitor's browser must not get a 415 or a 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
