from django.conf import settings
from rest_framework.parsers import JSONParser

from .exceptions import RequestTooLarge


class SizeLimitedJSONParser(JSONParser):
    """DRF reads the body stream itself, past Django's upload limit, so the cap is enforced here."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)
