from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, except that a body nested too deeply for Python's parser (`[[[[…`) is a 400 like
    any other malformed JSON, not a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
