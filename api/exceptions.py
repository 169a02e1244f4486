import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions

from observability import metrics
from observability.requests import current_request_id

logger = logging.getLogger(__name__)

MISSING_KEY = (
    "Authentication credentials were not provided. Send a secret key as "
    "'Authorization: Bearer pivra_sk_…' (create one in Settings → Security)."
)

# The database cannot be reached: refused, timed out, or the connection dropped.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class ServiceUnavailable(exceptions.APIException):
    """What a request gets while the database cannot be reached. Every view under /api/ and
    /widget/ is a DRF view, so the handler below answers it for all of them (and the widget's
    views add their CORS headers)."""

    status_code = 503
    default_detail = "The service is temporarily unavailable. Please retry shortly."
    default_code = "service_unavailable"
    wait = 5  # seconds, sent as Retry-After (by DRF's handler, as for a throttled request)


class RateLimited(exceptions.APIException):
    """A 429 whose detail says which limit was reached (DRF's `Throttled` words its own); DRF's
    handler sends `wait` as Retry-After."""

    status_code = 429
    default_code = "rate_limited"

    def __init__(self, detail, wait):
        super().__init__(detail)
        self.wait = wait


def error_body(detail, code):
    """The JSON of every error Pivra answers itself: what went wrong, a code to branch on, and the
    request's id (also in X-Request-ID), which a customer quotes so we find the call in the logs."""
    return {"detail": detail, "code": code, "request_id": current_request_id()}


def json_exception_handler(exc, context):
    """Every API error is JSON: `{"detail", "code", "request_id"}`, or DRF's field errors for
    validation."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("Database unavailable for %s", context["request"].path, exc_info=exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = exceptions.ErrorDetail(MISSING_KEY, code="not_authenticated")

    # Imported here: rest_framework.views loads the throttle classes (usage.ratelimit), which
    # import RateLimited from this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is not None and getattr(exc, "www_authenticate", None):  # a 400 about the credentials
        response["WWW-Authenticate"] = exc.www_authenticate
    if response is not None and response.status_code == 403:
        # Refused before the throttles counted it: still told where the key's limits stand.
        for throttle in context["view"].get_throttles():
            for name, value in getattr(throttle, "uncounted_headers", lambda request: {})(context["request"]).items():
                response[name] = value
    if response is None or isinstance(exc, exceptions.ValidationError):
        return response
    detail = exc.detail
    if isinstance(detail, (list, dict)):  # an APIException raised with structured detail
        return response
    code = getattr(detail, "code", None) or exc.default_code
    if isinstance(exc, exceptions.AuthenticationFailed):
        metrics.KEY_AUTHENTICATIONS.labels(code).inc()
    elif isinstance(exc, RateLimited):
        metrics.RATE_LIMIT_REFUSALS.labels("widget" if context["request"].path.startswith("/widget/") else "api").inc()
    response.data = error_body(str(detail), code)
    return response


def throttled_detail(plan, wait):
    return (
        f"Too many requests: the {plan.name} plan allows {plan.api_requests_per_minute} API requests "
        f"a minute. Retry in {wait} seconds."
    )


def key_throttled_detail(limit, wait):
    return f"Too many requests: this key allows {limit} API requests a minute. Retry in {wait} seconds."


def request_too_large_detail(limit_bytes):
    return f"The request body is larger than {limit_bytes // (1024 * 1024)} MB."
