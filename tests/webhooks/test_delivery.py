"""Delivering an event: signed POSTs to a real receiver, the retry schedule under a stopped clock,
410 Gone, redirects, Retry-After, five days of failures, SSRF at delivery time, and what the
deliveries log keeps."""

import email.utils
import json
import logging
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import Membership
from leads.api import LeadSerializer
from tests.conftest import make_member
from webhooks import delivery, events
from webhooks.delivery import attempt
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.tasks import delete_old_deliveries
from widget.services import capture_lead, start_conversation

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="procrastinate's queue is PostgreSQL's")

class Schedule:
    """Records what `attempt` schedules instead of queueing jobs: [(attempt number, seconds)]."""

    def __init__(self):
        self.calls = []

    def __call__(self, delivery_id, number, *, in_seconds=None):
        self.calls.append((number, in_seconds))


@pytest.fixture
def schedule():
    return Schedule()


@pytest.fixture
def no_jitter(monkeypatch):
    monkeypatch.setattr(delivery.random, "uniform", lambda low, high: 1.0)


def emit_one(endpoint, data=None):
    [queued] = events.emit(endpoint.account, "lead.created", data or {"id": "lead_1", "email": "dana@example.org"})
    return queued


def attempts(queued):
    return list(DeliveryAttempt.objects.filter(delivery=queued).order_by("number"))


# End to end: the change, its job, the receiver


def test_a_captured_lead_reaches_the_endpoint_signed_with_its_secret(run_jobs, chatbot, endpoint, receiver):
    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    lead, _ = capture_lead(conversation=conversation, name="Dana Kim", email="dana@example.org")
    run_jobs()

    [request] = receiver.wait_for(1)
    payload = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert set(payload) == {"id", "type", "timestamp", "data"}
    assert payload["type"] == "lead.created"
    assert payload["id"].startswith("evt_")
    assert payload["data"] == json.loads(json.dumps(LeadSerializer(lead).data))
    assert request["headers"]["webhook-id"] == payload["id"]
    assert request["headers"]["content-type"] == "application/json"
    assert request["path"] == "/hooks/pivra"
    queued = Delivery.objects.get()
    assert (queued.status, queued.attempt_count) == ("succeeded", 1)
    [made] = attempts(queued)
    assert (made.status_code, made.succeeded, made.error) == (200, True, "")


def test_a_lead_captured_in_a_transaction_that_rolls_back_sends_nothing(run_jobs, chatbot, endpoint, receiver):
    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    with pytest.raises(RuntimeError), transaction.atomic():
        capture_lead(conversation=conversation, name="Dana Kim", email="dana@example.org")
        assert Delivery.objects.count() == 1  # queued with the lead...
        raise RuntimeError("the request fails after the lead was saved")
    run_jobs()
    assert Delivery.objects.count() == 0  # ...and gone with it
    assert receiver.wait_for(1, seconds=0.5) == []


@on_postgresql
def test_the_delivery_and_its_job_are_stored_in_the_transaction_of_the_change(db, chatbot, endpoint):
    from procrastinate.contrib.django.models import ProcrastinateJob

    conversation, _ = start_conversation(chatbot=chatbot, visitor_id="visitor-1")
    with transaction.atomic():
        capture_lead(conversation=conversation, name="Dana Kim", email="dana@example.org")
        queued = Delivery.objects.get()
        job = ProcrastinateJob.objects.get(task_name="webhooks.deliver")
        assert job.args == {"delivery_id": queued.pk, "attempt": 1}


@on_postgresql
def test_a_failed_attempt_queues_the_next_one_as_a_job_about_5_seconds_later(run_jobs, endpoint, receiver):
    from procrastinate.contrib.django.models import ProcrastinateJob

    receiver.answer(503)
    with transaction.atomic():
        queued = emit_one(endpoint)
    run_jobs()
    assert len(receiver.wait_for(1)) == 1
    job = ProcrastinateJob.objects.get(task_name="webhooks.deliver", status="todo")
    assert job.args == {"delivery_id": queued.pk, "attempt": 2}
    assert 4 <= (job.scheduled_at - timezone.now()).total_seconds() <= 6


def test_resend_makes_a_new_attempt_with_the_same_webhook_id(run_jobs, endpoint, receiver):
    with transaction.atomic():
        queued = emit_one(endpoint)
    run_jobs()
    events.resend(queued)
    run_jobs()
    first, second = receiver.wait_for(2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == queued.event_id
    assert first["body"] == second["body"]
    assert [(made.number, made.status_code) for made in attempts(queued)] == [(1, 200), (2, 200)]


def test_after_a_roll_requests_carry_both_signatures_for_24_hours_then_only_the_new_one(
    db, clock, endpoint, receiver, schedule
):
    old = endpoint.secret
    new = endpoint.roll_secret(clock.now)

    def signatures(request):
        """Which of the two secrets signed the request, by its webhook-signature entries."""
        headers = request["headers"]
        signed_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=dt_timezone.utc)
        expected = {
            name: Webhook(secret).sign(headers["webhook-id"], signed_at, request["body"])
            for name, secret in (("new", new), ("old", old))
        }
        return [name for entry in headers["webhook-signature"].split(" ") for name, sig in expected.items() if sig == entry]

    clock.advance(23 * 3600)
    attempt(emit_one(endpoint).pk, 1, schedule=schedule)
    clock.advance(3600)
    attempt(emit_one(endpoint).pk, 1, schedule=schedule)
    during, after = receiver.wait_for(2)
    assert signatures(during) == ["new", "old"]
    assert signatures(after) == ["new"]


# The retry schedule, under a stopped clock


def test_failed_attempts_are_retried_on_the_schedule_then_given_up(db, clock, endpoint, receiver, schedule, no_jitter):
    receiver.answer(500, times=8)
    queued = emit_one(endpoint)
    started = clock.now
    for number in range(1, 9):
        attempt(queued.pk, number, schedule=schedule)
        if number < 8:
            clock.advance(schedule.calls[-1][1])

    assert schedule.calls == [(2, 5), (3, 300), (4, 1800), (5, 7200), (6, 18000), (7, 36000), (8, 36000)]
    queued.refresh_from_db()
    assert (queued.status, queued.attempt_count, queued.next_attempt_at) == ("failed", 8, None)
    made = attempts(queued)
    assert [a.status_code for a in made] == [500] * 8
    assert made[0].next_retry_at == started + timedelta(seconds=5)
    assert made[-1].next_retry_at is None
    requests = receiver.requests
    assert {request["headers"]["webhook-id"] for request in requests} == {queued.event_id}
    offsets = [int(request["headers"]["webhook-timestamp"]) - int(started.timestamp()) for request in requests]
    assert offsets == [0, 5, 305, 2105, 9305, 27305, 63305, 99305]  # each attempt signs its own time


def test_retry_delays_vary_by_up_to_a_tenth_either_way():
    for number, base in enumerate(delivery.RETRY_DELAYS, start=1):
        delays = {delivery.retry_delay(number) for _ in range(50)}
        assert all(base * 0.9 - 1 <= delay <= base * 1.1 + 1 for delay in delays), (number, delays)
        if base >= 300:
            assert len(delays) > 1, number
    assert delivery.retry_delay(len(delivery.RETRY_DELAYS) + 1) is None


def test_a_job_for_an_attempt_already_made_does_nothing(db, endpoint, receiver, schedule):
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    assert attempt(queued.pk, 1, schedule=schedule) is None  # run again: a worker taken for dead
    assert len(receiver.requests) == 1
    assert len(attempts(queued)) == 1


def test_a_deleted_endpoints_queued_attempt_does_nothing(db, endpoint, receiver, schedule):
    queued = emit_one(endpoint)
    endpoint.delete()
    assert attempt(queued.pk, 1, schedule=schedule) is None
    assert receiver.requests == []


def test_a_disabled_endpoints_queued_attempt_sends_nothing_and_the_delivery_fails(db, endpoint, receiver, schedule):
    queued = emit_one(endpoint)
    endpoint.disable("Disabled by alice@example.com")
    attempt(queued.pk, 1, schedule=schedule)
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert receiver.requests == []


def test_a_success_after_failures_ends_the_failing_streak(db, clock, endpoint, receiver, schedule):
    receiver.answer(500)
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == clock.now
    clock.advance(5)
    attempt(queued.pk, 2, schedule=schedule)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    queued.refresh_from_db()
    assert queued.status == "succeeded"


# What the endpoint answers


def test_410_gone_disables_the_endpoint_at_once_without_a_retry(db, endpoint, receiver, schedule):
    receiver.answer(410)
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    endpoint.refresh_from_db()
    queued.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "The endpoint answered 410 Gone.")
    assert queued.status == "failed"
    assert schedule.calls == []
    assert events.emit(endpoint.account, "lead.created", {"id": "lead_2"}) == []  # nothing more is queued


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_counts_as_a_failure(db, endpoint, receiver, schedule, status):
    receiver.answer(status, {"Location": receiver.url("/elsewhere")})
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    assert [request["path"] for request in receiver.wait_for(2, seconds=0.5)] == ["/hooks/pivra"]
    [made] = attempts(queued)
    assert (made.status_code, made.succeeded) == (status, False)
    assert "does not follow redirects" in made.error
    assert [number for number, _ in schedule.calls] == [2]


@pytest.mark.parametrize("status, retry_after, expected", [
    (429, "3600", 3600),  # later than the schedule's 5 s: honoured
    (503, "999999", delivery.MAX_RETRY_AFTER),  # capped
    (429, "1", 5),  # sooner than the schedule: the schedule stands
    (500, "3600", 5),  # only 429 and 503 are asked to wait
    (503, "soon", 5),  # unreadable
])
def test_retry_after_on_429_and_503_is_honoured_within_a_cap(
    db, endpoint, receiver, schedule, no_jitter, status, retry_after, expected
):
    receiver.answer(status, {"Retry-After": retry_after})
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    assert schedule.calls == [(2, expected)]


def test_retry_after_as_an_http_date_is_honoured(db, clock, endpoint, receiver, schedule, no_jitter):
    later = email.utils.format_datetime(clock.now + timedelta(hours=2), usegmt=True)
    receiver.answer(429, {"Retry-After": later})
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    assert schedule.calls == [(2, 7200)]


def test_an_endpoint_slower_than_15_seconds_fails_within_the_cap(db, endpoint, receiver, schedule, monkeypatch):
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 1)
    receiver.answer(200, delay=10)
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    [made] = attempts(queued)
    assert (made.status_code, made.error) == (None, "The endpoint took longer than 1 second.")
    assert made.duration_ms < 3000


def test_an_endpoint_failing_every_attempt_for_5_days_is_disabled_and_its_owners_emailed(
    db, clock, account, alice, bob, endpoint, receiver, schedule, django_capture_on_commit_callbacks
):
    make_member(account, "dana@example.com", Membership.Role.ADMIN)
    receiver.answer(500, times=3)
    first = emit_one(endpoint)
    attempt(first.pk, 1, schedule=schedule)
    clock.advance(4 * 24 * 3600)
    second = emit_one(endpoint)
    attempt(second.pk, 1, schedule=schedule)
    endpoint.refresh_from_db()
    assert endpoint.is_enabled  # four days: not yet

    clock.advance(24 * 3600)
    third = emit_one(endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        attempt(third.pk, 1, schedule=schedule)
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "Every attempt failed for 5 days.")
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]  # the owner; not the member, nor the admin
    assert endpoint.url in message.body
    assert endpoint.secret not in message.body


def test_enabling_again_starts_the_five_days_afresh(db, clock, endpoint):
    endpoint.failing_since = clock.now - timedelta(days=6)
    endpoint.disable("Every attempt failed for 5 days.")
    endpoint.enable()
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason, endpoint.failing_since) == ("enabled", "", None)


# SSRF at delivery time


def test_a_host_that_resolves_to_a_private_address_at_delivery_fails_without_a_connection(
    db, account, dns, connections, schedule
):
    names, _ = dns
    names["hooks.customer.example"] = ["93.184.215.34"]
    assert delivery.endpoint_url_problem("https://hooks.customer.example/pivra") is None  # fine when saved
    endpoint = WebhookEndpoint.objects.create(
        account=account, url="https://hooks.customer.example/pivra", events=["lead.created"]
    )
    names["hooks.customer.example"] = ["10.0.0.7"]  # then the name is pointed inside
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    [made] = attempts(queued)
    assert made.status_code is None
    assert made.error == delivery.REFUSALS["private"]
    assert connections == []
    assert [number for number, _ in schedule.calls] == [2]  # it may be fixed: retried like any failure


def test_the_connection_goes_to_the_address_that_was_checked(db, account, dns, connections, schedule):
    names, _ = dns
    names["hooks.customer.example"] = ["93.184.215.34"]
    endpoint = WebhookEndpoint.objects.create(
        account=account, url="https://hooks.customer.example/pivra", events=["lead.created"]
    )
    attempt(emit_one(endpoint).pk, 1, schedule=schedule)
    assert connections == [("93.184.215.34", 443)]


def test_plain_http_outside_the_allowlist_is_refused_at_delivery(db, account, dns, connections, schedule, settings):
    names, _ = dns
    names["hooks.customer.example"] = ["93.184.215.34"]
    endpoint = WebhookEndpoint.objects.create(
        account=account, url="http://hooks.customer.example/pivra", events=["lead.created"]
    )
    queued = emit_one(endpoint)
    attempt(queued.pk, 1, schedule=schedule)
    assert attempts(queued)[0].error == delivery.PLAIN_HTTP
    assert connections == []


# The log


def test_neither_the_log_nor_the_deliveries_table_ever_holds_the_secret(db, endpoint, receiver, schedule, caplog):
    receiver.answer(410)
    with caplog.at_level(logging.DEBUG):
        queued = emit_one(endpoint)
        attempt(queued.pk, 1, schedule=schedule)
    secret_part = endpoint.secret.removeprefix("whsec_")
    assert secret_part not in caplog.text
    stored = [str(value) for made in attempts(queued) for value in vars(made).values()]
    stored += [str(value) for value in vars(Delivery.objects.get(pk=queued.pk)).values()]
    assert not [value for value in stored if secret_part in value]
    assert secret_part not in json.dumps(receiver.requests[0]["headers"])


def test_deliveries_older_than_30_days_are_deleted(db, clock, endpoint):
    old = emit_one(endpoint)
    Delivery.objects.filter(pk=old.pk).update(created_at=clock.now - timedelta(days=31))
    recent = emit_one(endpoint)
    Delivery.objects.filter(pk=recent.pk).update(created_at=clock.now - timedelta(days=29))
    delete_old_deliveries(timestamp=int(clock.now.timestamp()))
    assert list(Delivery.objects.values_list("pk", flat=True)) == [recent.pk]
