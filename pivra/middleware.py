"""Site-wide middleware: the request body size limit; and which paths answer errors in JSON."""

from django.conf import settings
from django.http import JsonResponse

from api.exceptions import error_body, request_too_large_detail

JSON_PATHS = ("/api/", "/widget/")


def is_json_path(request):
    return request.path_info.startswith(JSON_PATHS)


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
            return JsonResponse(error_body("Invalid Content-Length header.", "bad_request"), status=400)
        if length > settings.API_MAX_BODY_BYTES:
            return JsonResponse(
                error_body(request_too_large_detail(settings.API_MAX_BODY_BYTES), "request_too_large"),
                status=413,
            )
        return self.get_response(request)


class ApiNoStoreMiddleware:
    """`Cache-Control: no-store` on every /api/ response, event streams and errors included:
    leads and conversations are personal data, and no cache along the way may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response
