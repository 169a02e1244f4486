"""The webhooks' background jobs: each attempt of a delivery is one job; old deliveries are deleted."""

import logging
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from jobs.queue import defer

from . import delivery
from .models import Delivery

logger = logging.getLogger(__name__)

KEEP_DELIVERIES = timedelta(days=30)
DELETE_BATCH = 1000


# A database error (a failover, a statement timeout) is the job's problem, not the receiver's:
# the job runs again, and the attempt number keeps it from being recorded twice. What the
# receiver answers is the delivery's outcome, scheduled by delivery.attempt itself.
@app.task(
    queue="webhooks", name="webhooks.deliver",
    retry=RetryStrategy(max_attempts=5, linear_wait=60, retry_exceptions={DatabaseError}),
)
def deliver(delivery_id, attempt):
    delivery.attempt(delivery_id, attempt, schedule=schedule_attempt)


def schedule_attempt(delivery_id, number, *, in_seconds=None):
    """Queue attempt `number` of a delivery, once the current transaction commits."""
    defer(deliver, schedule_in_seconds=in_seconds, delivery_id=delivery_id, attempt=number)


@app.periodic(cron="41 3 * * *")  # daily
@app.task(queue="webhooks", name="webhooks.delete_old_deliveries", queueing_lock="webhooks.delete_old_deliveries")
def delete_old_deliveries(timestamp):
    """The deliveries log keeps 30 days. In batches: a busy day's rows are many, and each
    statement must end within the statement timeout."""
    old = Delivery.objects.filter(created_at__lt=timezone.now() - KEEP_DELIVERIES)
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:DELETE_BATCH]):
        deleted += Delivery.objects.filter(pk__in=batch).delete()[0]
    logger.info("Deleted %s webhook delivery rows older than %s days", deleted, KEEP_DELIVERIES.days)
