"""A real `manage.py procrastinate worker` killed with `kill -9` in the middle of a delivery: the
next worker delivers it, with the same `webhook-id`, and records one attempt."""

import signal

import pytest
from django.db import connection, transaction
from standardwebhooks.webhooks import Webhook

from tests.jobs.test_worker import eventually, start_worker  # noqa: F401 (a fixture)
from webhooks import events
from webhooks.models import Delivery

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="procrastinate's worker runs on PostgreSQL only (SQLite runs jobs inline)"
)


def test_a_delivery_whose_worker_is_killed_mid_request_is_delivered_by_the_next_worker(start_worker, endpoint, receiver):
    receiver.answer(200, delay=30)  # the first request hangs until its worker is killed; later ones answer
    with transaction.atomic():
        [queued] = events.emit(endpoint.account, "lead.created", {"id": "lead_1"})

    first = start_worker(receiver)
    eventually(lambda: len(receiver.requests) == 1, seconds=15, what="the first worker to send the request")
    first.send_signal(signal.SIGKILL)
    first.wait()

    start_worker(receiver)
    eventually(
        lambda: Delivery.objects.get(pk=queued.pk).status == "succeeded", seconds=20,
        what="the second worker to deliver it",
    )
    killed, delivered = receiver.requests
    assert killed["headers"]["webhook-id"] == delivered["headers"]["webhook-id"] == queued.event_id
    Webhook(endpoint.secret).verify(delivered["body"], delivered["headers"])
    queued.refresh_from_db()
    assert [(a.number, a.status_code) for a in queued.attempts.all()] == [(1, 200)]
