"""In-process measurements: requests straight through Django's WSGI handler, as gunicorn calls it.

`python -m tools.bench.measure PHASE STATE.json` prints one JSON object. The phases run in their own
process because settings differ (Redis or none, one database or two).

Variants are interleaved: each round runs every variant once, in a fresh random order, so drift
(CPU frequency, autovacuum, the other core's load) hits all of them alike.
"""

import io
import json
import os
import random
import sys
import time
from contextlib import contextmanager

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.bench.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django_redis import get_redis_connection  # noqa: E402

from usage import ratelimit  # noqa: E402

from . import routers, stats  # noqa: E402

app = get_wsgi_application()


def call(path, query="", headers=()):
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    environ.update(headers)
    status = []
    result = app(environ, lambda s, h, exc_info=None: status.append(s))
    try:
        body = b"".join(result)
    finally:
        result.close()  # request_finished: what gunicorn does after each response
    return int(status[0][:3]), body


def _on_cpu_ns(pid):
    """Nanoseconds the process (its main thread) has run on a CPU: /proc/<pid>/schedstat."""
    if pid is None:
        return 0
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


REDIS_PID = get_redis_connection("default").info("server")["process_id"] if ratelimit.redis_configured() else None


def _backend_pid(alias):
    wrapper = connections[alias]
    return wrapper.connection.info.backend_pid if wrapper.connection is not None else None


class Request:
    """One GET, timed two ways: wall-clock time, and CPU time spent on it by this process, its
    PostgreSQL backend and (when configured) Redis. Wall time is what a client sees; the CPU
    time barely moves when other programs compete for the cores, so it corroborates the ratios
    on a busy machine."""

    def __init__(self, name, path, query="", headers=(), database="default"):
        self.name, self.path, self.query, self.headers, self.database = name, path, query, dict(headers), database

    def __call__(self):
        routers.use(self.database)
        return self.run()

    def run(self):
        status, body = call(self.path, self.query, self.headers)
        if status != 200:
            raise SystemExit(f"{self.name}: HTTP {status}: {body[:300]!r}")
        return body

    def timed(self):
        routers.use(self.database)
        return timed(self.run, self.database)


class Call:
    """A function timed like a request (the key check's parts); `before` runs first, untimed."""

    def __init__(self, name, function, before=lambda: None):
        self.name, self.function, self.before = name, function, before

    def __call__(self):
        self.before()
        return self.function()

    def timed(self):
        self.before()
        return timed(self.function)


def timed(function, database="default"):
    """(wall µs, CPU µs) of one call; CPU is None when the database connection was replaced."""
    backend = _backend_pid(database)
    others = _on_cpu_ns(backend) + _on_cpu_ns(REDIS_PID)
    cpu, wall = time.process_time_ns(), time.perf_counter_ns()
    function()
    wall, cpu = time.perf_counter_ns() - wall, time.process_time_ns() - cpu
    if _backend_pid(database) != backend:  # the connection was replaced (CONN_MAX_AGE)
        return wall / 1000, None
    return wall / 1000, (cpu + _on_cpu_ns(backend) + _on_cpu_ns(REDIS_PID) - others) / 1000


def interleave(requests, rounds, warmup=100):
    for _ in range(warmup):
        for request in requests:
            request()
    samples = {request.name: [] for request in requests}
    cpu = {request.name: [] for request in requests}
    rng = random.Random(42)
    order = list(requests)
    for _ in range(rounds):
        rng.shuffle(order)
        for request in order:
            wall_us, cpu_us = request.timed()
            samples[request.name].append(wall_us)
            if cpu_us is not None:
                cpu[request.name].append(cpu_us)
    samples["cpu"] = cpu
    return samples


def summary(samples):
    return {
        name: {"median_us": stats.median(v), "p90_us": stats.percentile(v, 90), "n": len(v),
               "cpu_median_us": stats.median(samples["cpu"][name])}
        for name, v in samples.items() if name != "cpu"
    }


def compare(samples, a, b):
    low, high = stats.ratio_interval(samples[a], samples[b])
    cpu_a, cpu_b = samples["cpu"][a], samples["cpu"][b]
    return {"a": a, "b": b, "ratio": stats.median(samples[a]) / stats.median(samples[b]), "ci95": [low, high],
            "cpu_ratio": stats.median(cpu_a) / stats.median(cpu_b)}


@contextmanager
def counting_queries():
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


def queries_of(request):
    request()  # warm: a stale last_used_at write, if any, happens here, not in the count
    with counting_queries() as statements:
        request()
    return len(statements), [s[:120] for s in statements]


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# -- phases -----------------------------------------------------------------------------------

def auth_variants(big):
    """The same page of the 1M-lead account's leads, authenticated three ways."""
    return [
        Request("pivra", "/api/leads", headers=bearer(big["key"])),
        Request("token", "/api/bench/token/leads", headers={"HTTP_AUTHORIZATION": f"Token {big['token']}"}),
        Request("no_auth", "/api/bench/noauth/leads", headers={"HTTP_X_BENCH_ACCOUNT": big["account"]}),
    ]


def auth_phase(state, rounds):
    big = state["big"]
    variants = auth_variants(big)
    for request in variants:  # the same page, whichever way it was authenticated
        request()
    bodies = {json.dumps(json.loads(request())["results"]) for request in variants}
    assert len(bodies) == 1, "the comparison views must return the same page"
    queries = {request.name: queries_of(request)[0] for request in variants}
    samples = interleave(variants, rounds)
    return {
        "cache": settings.CACHES["default"]["BACKEND"],
        "queries": queries,
        "timings": summary(samples),
        "pivra_vs_token": compare(samples, "pivra", "token"),
        "pivra_vs_no_auth": compare(samples, "pivra", "no_auth"),
        "key_check": key_check(big, rounds),
    }


def key_check(big, rounds):
    """The key check's own cost, outside a request, interleaved like the requests:
    ApiKeyAuthentication().authenticate() against PostgreSQL as most requests run it (one SELECT:
    last_used_at is recent) and as one a minute does (last_used_at due: the SELECT and
    record_use's UPDATE); its part that needs no query (format and checksum, HMAC); and the
    count the rate-limit throttle adds (a Redis round trip, or the process's memory)."""
    from django.test import RequestFactory
    from rest_framework.request import Request as DrfRequest

    from apikeys import crypto
    from apikeys.authentication import ApiKeyAuthentication
    from apikeys.models import ApiKey

    request = DrfRequest(RequestFactory().get("/api/leads", **bearer(big["key"])))
    key_row = ApiKey.objects.filter(pk=big["key_id"])

    def make_due():
        key_row.update(last_used_at=None)

    def authenticate():
        assert ApiKeyAuthentication().authenticate(request)[1].pk == big["key_id"]

    def hash_only():
        return crypto.is_well_formed(big["key"]) and crypto.hash_key(big["key"])

    calls = [
        Call("authenticate", authenticate),
        Call("authenticate_due", authenticate, before=make_due),
        Call("format_and_hmac", hash_only),
        Call("rate_limit_count", lambda: ratelimit.hit(ratelimit.api_requests(big["account"]))),
    ]
    queries = {}
    for call_ in (calls[1], calls[0]):  # the second finds last_used_at just written
        call_.before()
        with counting_queries() as statements:
            call_.function()
        queries[call_.name] = len(statements)
    assert queries == {"authenticate": 1, "authenticate_due": 2}, queries
    return {"queries": queries, "timings": summary(interleave(calls, rounds))}


def next_page(body):
    link = json.loads(body)["next"]
    path, _, query = link.partition("?")
    return path.split("127.0.0.1", 1)[-1], query


def scale_phase(state, rounds):
    from chatbots.models import Chatbot

    setups = {"1m": ("default", state["big"]), "1k": ("small", state["small"])}
    variants = []
    for label, (database, who) in setups.items():
        headers = bearer(who["key"])
        variants.append(Request(f"first_page_{label}", "/api/leads", headers=headers, database=database))
        # Page 100 exists with 1,000 leads only at 10 a page: walk the cursor there, both setups alike.
        path, query = "/api/leads", "page_size=10"
        for _ in range(99):
            path, query = next_page(Request("walk", path, query, headers, database)())
        variants.append(Request(f"page_100_{label}", path, query, headers, database))
        # Filters an incremental sync uses (informational, not a target).
        routers.use(database)
        bot = Chatbot.objects.filter(account_id=who["account"]).order_by("created_at", "id").first()
        variants.append(Request(f"chatbot_filter_{label}", "/api/leads", f"chatbot={bot.pk}", headers, database))
        since = "updated_after=" + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
        variants.append(Request(f"updated_after_{label}", "/api/leads", since, headers, database))
        variants.append(Request(f"email_filter_{label}", "/api/leads", "email=visitor500@example15.com", headers, database))
    samples = interleave(variants, rounds, warmup=20)
    result = {"timings": summary(samples)}
    for name in ("first_page", "page_100", "chatbot_filter", "email_filter", "updated_after"):
        result[name] = compare(samples, f"{name}_1m", f"{name}_1k")
    return result


def queries_phase(state, rounds):
    from django.contrib.auth import get_user_model
    from django.test import Client

    key = bearer(state["big"]["key"])
    lists = {}
    for endpoint in ("leads", "conversations", "chatbots", "sources"):
        lists[endpoint] = {}
        for size in (5, 50, 100):
            count, statements = queries_of(Request(endpoint, f"/api/{endpoint}", f"page_size={size}", key))
            lists[endpoint][size] = count
            if endpoint == "leads" and size == 50:
                lists["leads_statements"] = statements

    pages = []
    for size in (5, 500):
        client = Client()
        client.force_login(get_user_model().objects.get(pk=state[f"security{size}"]["user"]))
        cookie = {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}
        page = Request(f"security_{size}_keys", "/settings/security/", headers=cookie)
        count, statements = queries_of(page)
        rows = page().count(b"<tr data-key-id=")
        pages.append((page, count, statements, rows))
    samples = interleave([p[0] for p in pages], rounds, warmup=5)
    security = {
        p[0].name: {"queries": p[1], "key_rows": p[3], "median_ms": stats.median(samples[p[0].name]) / 1000,
                    "p90_ms": stats.percentile(samples[p[0].name], 90) / 1000,
                    "cpu_median_ms": stats.median(samples["cpu"][p[0].name]) / 1000}
        for p in pages
    }
    security["statements"] = pages[-1][2]
    return {"lists": lists, "security": security}


def reset_last_used_phase(state, rounds):
    """Before the write phase: make the key's last_used_at fall due a few seconds into the load,
    when every worker is busy (the minute boundary of a key in constant use), so the phase shows
    how many statements the throttled write takes."""
    from datetime import timedelta

    from django.utils import timezone

    from apikeys.models import LAST_USED_RESOLUTION, ApiKey

    due_in = timedelta(seconds=int(os.environ.get("BENCH_DUE_IN", 3)))
    ApiKey.objects.filter(pk=state["big"]["key_id"]).update(last_used_at=timezone.now() - LAST_USED_RESOLUTION + due_in)
    return {}


if __name__ == "__main__":
    phase, state_path = sys.argv[1], sys.argv[2]
    rounds = int(os.environ.get("BENCH_ROUNDS", 1000))
    with open(state_path) as f:
        state = json.load(f)
    phases = {"auth": auth_phase, "scale": scale_phase, "queries": queries_phase,
              "reset-last-used": reset_last_used_phase}
    result = phases[phase](state, rounds)
    json.dump(result, sys.stdout, default=str)
