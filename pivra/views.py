from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from usage.ratelimit import redis_configured

from .middleware import is_json_path


@never_cache
def healthz(request):
    """200 while the app can serve (its database answers), 503 otherwise. A shared cache that is
    down only degrades the app (rate limits are not enforced), so it is reported, not fatal."""
    body = {"status": "ok", "database": _database_state(), "cache": _cache_state()}
    if body["database"] != "ok":
        body["status"] = "error"
    elif body["cache"] == "degraded":
        body["status"] = "degraded"
    return JsonResponse(body, status=200 if body["database"] == "ok" else 503)


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unavailable"
    return "ok"


def _cache_state():
    """"ok" or "degraded" for Redis; "local" for a per-process cache (nothing to reach)."""
    if not redis_configured():
        return "local"
    try:
        get_redis_connection("default").ping()
    except RedisError:
        return "degraded"
    return "ok"


def server_error(request):
    """The site's 500 handler: JSON under /api/ and /widget/, Django's page elsewhere."""
    if is_json_path(request):
        return JsonResponse({"detail": "Something went wrong on our side.", "code": "server_error"}, status=500)
    return html_server_error(request)


def not_found(request, exception=None):
    """The site's 404 handler: a URL under /api/ or /widget/ that matches no route (an id that
    cannot be one, a typo) gets a JSON error like any other 404 there; pages keep Django's page."""
    if is_json_path(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)
