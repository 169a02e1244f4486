"""Site-wide middleware: JSON answers for faults under /api/ and /widget/, and the body size limit."""

import logging

from django.conf import settings
from django.http import JsonResponse

from api.exceptions import DATABASE_UNAVAILABLE, ServiceUnavailable, request_too_large_detail

logger = logging.getLogger(__name__)

JSON_PATHS = ("/api/", "/widget/")


def is_json_path(request):
    return request.path_info.startswith(JSON_PATHS)


def service_unavailable():
    response = JsonResponse(
        {"detail": ServiceUnavailable.default_detail, "code": ServiceUnavailable.default_code},
        status=ServiceUnavailable.status_code,
    )
    response["Retry-After"] = str(ServiceUnavailable.wait)
    return response


class DatabaseUnavailableMiddleware:
    """A JSON 503 with Retry-After, instead of an HTML 500, when the database cannot be reached
    (refused, timed out, or the connection dropped). Django closes the broken connection when the
    request ends, so the next request connects afresh: the same workers recover by themselves.
    DRF views give the same 503 themselves (api.exceptions), with the widget's CORS headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE) and is_json_path(request):
            logger.warning("Database unavailable for %s", request.path_info, exc_info=exception)
            return service_unavailable()
        return None


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
            return JsonResponse(
                {"detail": request_too_large_detail(settings.API_MAX_BODY_BYTES), "code": "request_too_large"},
                status=413,
            )
        return self.get_response(request)
