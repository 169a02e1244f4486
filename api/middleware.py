from django.conf import settings
from django.http import JsonResponse

from .authentication import start_lookup_for_header


class RequestBodyLimitMiddleware:
    """Refuse bodies over the limit with a JSON 413 before anything reads them into memory.

    Django's own DATA_UPLOAD_MAX_MEMORY_SIZE stays as the backstop for bodies without a length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header.", "code": "bad_request"}, status=400)
        if length > settings.API_MAX_BODY_BYTES:
            limit_mb = settings.API_MAX_BODY_BYTES // (1024 * 1024)
            return JsonResponse(
                {"detail": f"The request body is larger than {limit_mb} MB.", "code": "request_too_large"},
                status=413,
            )
        return self.get_response(request)


class ApiKeyLookupMiddleware:
    """Start an API request's key lookup as the request arrives (see api.authentication).

    With the shared cache, authenticating waits for a Redis round trip; sent here, its answer
    comes back while the other middleware and the URL resolver run, and DRF's authentication
    reads it without waiting (bench/: on a 2-core machine the wait was most of the key check's
    cost). The lookup counts the request, so one that never reaches authentication takes it back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lookup = None
        if request.path_info.startswith("/api/"):
            lookup = start_lookup_for_header(request.META.get("HTTP_AUTHORIZATION", ""))
        if lookup is None:
            return self.get_response(request)
        request.api_key_lookup = lookup
        try:
            return self.get_response(request)
        finally:
            lookup.cancel()
