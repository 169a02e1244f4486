"""Prometheus metrics: what an operator watches, counted where it happens.

Counters and histograms from `prometheus_client`, in the process that serves the request or runs
the job. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory,
emptied at each start): every worker then writes its samples there and `/metrics` adds them up
(prometheus_client's multiprocess mode); without it each process reports only its own.

Labels are few and bounded (a URL name, never a path with ids; an outcome from a fixed list), so
a scrape stays small however many accounts there are.
"""

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("pivra_http_requests", "HTTP requests answered, by URL name, method and status.", ["view", "method", "status"])
REQUEST_SECONDS = Histogram(
    "pivra_http_request_duration_seconds", "Time to answer an HTTP request, by URL name.", ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
KEY_AUTHENTICATIONS = Counter(
    "pivra_key_authentications",
    "API and embed key checks, by outcome: ok (an API key), or the refusal's code (invalid_api_key, key_expired, …).",
    ["outcome"],
)
RATE_LIMIT_REFUSALS = Counter(
    "pivra_rate_limit_refusals", "Requests refused with a 429, by limit (api, widget, failed_keys).", ["limit"]
)
WEBHOOK_ATTEMPTS = Counter(
    "pivra_webhook_attempts",
    "Webhook delivery attempts, by outcome: delivered (2xx), refused (another status), no_answer (unreachable, "
    "timed out, or an address Pivra does not send to).",
    ["outcome"],
)


def exposition(extra_collectors=()):
    """The text a Prometheus scrape gets: this process's metrics (or every worker's, in
    multiprocess mode) and `extra_collectors`, read at scrape time (the job queue's depth)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    extra = CollectorRegistry()
    for collector in extra_collectors:
        extra.register(collector)
    return generate_latest(registry) + generate_latest(extra)
