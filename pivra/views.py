import hmac

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from prometheus_client import CONTENT_TYPE_LATEST

from api.exceptions import error_body
from jobs.metrics import JobQueueCollector
from observability import metrics
from usage.ratelimit import redis_configured

from .middleware import is_json_path


@never_cache
def healthz(request):
    """Liveness: 200 whenever the process answers. It checks nothing else on purpose: an
    orchestrator restarts what fails liveness, and a database blip must not restart every web
    worker at once (that is /readyz's to report)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: 200 when this process can serve (PostgreSQL answers, every migration of this
    release is applied, Redis answers if configured), else 503, with each check's result. A load
    balancer stops sending requests here while it fails, and starts again when it passes."""
    checks = {"database": _database_state()}
    checks["migrations"] = _migrations_state() if checks["database"] == "ok" else "unknown"
    if redis_configured():
        checks["redis"] = _redis_state()
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if ready else "error", **checks}, status=200 if ready else 503)


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unavailable"
    return "ok"


def _migrations_state():
    """"ok" when nothing is left to apply (what `migrate --check` asks), "pending" otherwise: new
    code whose migrations have not run must not take traffic."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "unavailable"
    return "pending" if pending else "ok"


def _redis_state():
    try:
        get_redis_connection("default").ping()
    except RedisError:
        return "unavailable"
    return "ok"


def server_error(request):
    """The site's 500 handler: JSON under /api/ and /widget/, Django's page elsewhere."""
    if is_json_path(request):
        return JsonResponse(error_body("Something went wrong on our side.", "server_error"), status=500)
    return html_server_error(request)


def not_found(request, exception=None):
    """The site's 404 handler: a URL under /api/ or /widget/ that matches no route (an id that
    cannot be one, a typo) gets a JSON error like any other 404 there; pages keep Django's page."""
    if is_json_path(request):
        return JsonResponse(error_body("Not found.", "not_found"), status=404)
    return page_not_found(request, exception)


@never_cache
def metrics_view(request):
    """Prometheus metrics, for the scraper that sends `Authorization: Bearer <METRICS_TOKEN>`. Not
    found while METRICS_TOKEN is unset (nothing to advertise), 403 for a wrong or missing token."""
    if not settings.METRICS_TOKEN:
        raise Http404
    presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(presented.encode(), settings.METRICS_TOKEN.encode()):
        return JsonResponse(error_body("Send the metrics token as a Bearer token.", "forbidden"), status=403)
    return HttpResponse(metrics.exposition([JobQueueCollector()]), content_type=CONTENT_TYPE_LATEST)
