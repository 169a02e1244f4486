from django.conf import settings
from django.http import JsonResponse


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
