"""/metrics: what an operator's Prometheus scrapes, and only with the metrics token."""

import pytest
from django.db import connection
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from tests.webhooks.conftest import receiver  # noqa: F401  (a fixture)
from webhooks import delivery, events
from webhooks.models import WebhookEndpoint

TOKEN = "scrape-me-9f2c"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape():
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_without_a_token_configured_there_is_no_metrics_page(settings, db):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN + "x"])
def test_without_the_token_metrics_are_refused(token, db, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 403
    assert b"pivra_http_requests" not in response.content


def test_requests_are_counted_by_url_name_method_and_status_with_their_latency(token, api_client):
    before = value("pivra_http_requests_total", view="lead-list", method="GET", status="200")
    seconds_before = value("pivra_http_request_duration_seconds_count", view="lead-list")
    api_client.get("/api/leads")
    api_client.get("/api/leads?cursor=junk")  # a 404 is its own series
    samples = scrape()
    assert samples[("pivra_http_requests_total", (("method", "GET"), ("status", "200"), ("view", "lead-list")))] == before + 1
    assert samples[("pivra_http_request_duration_seconds_count", (("view", "lead-list"),))] == seconds_before + 2
    assert samples[("pivra_http_requests_total", (("method", "GET"), ("status", "404"), ("view", "lead-list")))] >= 1


def test_an_unusual_method_does_not_make_a_series_of_its_own(token, db):
    Client().generic("FROBNICATE", "/api/leads")
    assert value("pivra_http_requests_total", view="lead-list", method="other", status="401") >= 1
    assert not any("FROBNICATE" in str(key) for key in scrape())


def test_key_authentications_are_counted_by_outcome(token, api_client):
    ok, invalid = value("pivra_key_authentications_total", outcome="ok"), value(
        "pivra_key_authentications_total", outcome="invalid_api_key"
    )
    api_client.get("/api/leads")
    APIClient().get("/api/leads", HTTP_AUTHORIZATION="Bearer pivra_sk_" + "0" * 36)
    assert value("pivra_key_authentications_total", outcome="ok") == ok + 1
    assert value("pivra_key_authentications_total", outcome="invalid_api_key") == invalid + 1


def test_rate_limit_refusals_are_counted(token, api_client, account):
    account.plan.api_requests_per_minute = 1
    account.plan.save()
    before = value("pivra_rate_limit_refusals_total", limit="api")
    statuses = [api_client.get("/api/leads").status_code for _ in range(3)]
    assert statuses.count(429) >= 1
    assert value("pivra_rate_limit_refusals_total", limit="api") == before + statuses.count(429)


def test_webhook_attempts_are_counted_by_outcome(token, account, receiver, schedule_nothing):
    endpoint = WebhookEndpoint.objects.create(account=account, url=receiver.url(), events=["lead.created"])
    [queued] = events.emit(account, "lead.created", {"id": "lead_1"})
    receiver.answer(500)
    delivered, refused = value("pivra_webhook_attempts_total", outcome="delivered"), value(
        "pivra_webhook_attempts_total", outcome="refused"
    )
    delivery.attempt(queued.pk, 1, schedule=schedule_nothing)
    delivery.attempt(queued.pk, 2, schedule=schedule_nothing)
    assert value("pivra_webhook_attempts_total", outcome="refused") == refused + 1
    assert value("pivra_webhook_attempts_total", outcome="delivered") == delivered + 1
    assert endpoint.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the job queue is procrastinate's, on PostgreSQL")
def test_the_job_queue_depth_is_reported_by_queue_and_status(token, account, chatbot):
    from sources.models import Source
    from sources.services import create_source

    create_source(account=account, chatbot=chatbot, type=Source.Type.URL, title="Docs", url="https://example.com/")
    assert scrape()[("pivra_jobs", (("queue", "sources"), ("status", "todo")))] == 1


@pytest.fixture
def schedule_nothing():
    return lambda delivery_id, number, *, in_seconds=None: None
