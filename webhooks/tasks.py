"""The webhooks' background jobs: each attempt of a delivery is one job; old deliveries are deleted."""

import logging
from datetime import timedelta

from django.utils import timezone
from procrastinate.contrib.django import app

from jobs.queue import defer

from . import delivery
from .models import Delivery

logger = logging.getLogger(__name__)

KEEP_DELIVERIES = timedelta(days=30)


@app.task(queue="webhooks", name="webhooks.deliver")
def deliver(delivery_id, attempt):
    delivery.attempt(delivery_id, attempt, schedule=schedule_attempt)


def schedule_attempt(delivery_id, number, *, in_seconds=None):
    """Queue attempt `number` of a delivery, once the current transaction commits."""
    defer(deliver, schedule_in_seconds=in_seconds, delivery_id=delivery_id, attempt=number)


@app.periodic(cron="41 3 * * *")  # daily
@app.task(queue="webhooks", name="webhooks.delete_old_deliveries", queueing_lock="webhooks.delete_old_deliveries")
def delete_old_deliveries(timestamp):
    """The deliveries log keeps 30 days."""
    deleted, _ = Delivery.objects.filter(created_at__lt=timezone.now() - KEEP_DELIVERIES).delete()
    logger.info("Deleted %s webhook delivery rows older than %s days", deleted, KEEP_DELIVERIES.days)
