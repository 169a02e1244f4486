"""Emitting events: what the apps whose objects change call, in the transaction that changes them.

    emit(lead.account, "lead.created", LeadSerializer(lead).data)

Each of the account's enabled endpoints subscribed to the type gets a Delivery row and the job
of its first attempt, in the caller's transaction: a change that rolls back sends nothing, and a
change that commits always has its deliveries. Callers wrap the change and the emit in one
`transaction.atomic()`.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.ids import new_public_id

from .models import EVENT_TYPES, TEST_EVENT_TYPE, Delivery, WebhookEndpoint
from .tasks import schedule_attempt


def emit(account, type, data):
    """Queue the event `type` with `data` (the object as the API returns it) for every endpoint
    of `account` (an Account or its id) that subscribes to it. Returns the deliveries."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {type!r}")
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.for_account(account).enabled() if type in endpoint.events]
    return _queue(endpoints, type, data)


def send_test_event(endpoint):
    """Queue a `webhook.test` event for this endpoint alone, whatever it subscribes to."""
    data = {"endpoint": endpoint.pk, "message": "A test event from Pivra. Your endpoint received it."}
    return _queue([endpoint], TEST_EVENT_TYPE, data)[0]


def resend(delivery):
    """Queue one more attempt of a delivery, now, whatever came of the earlier ones. With the
    same event id: a receiver that processed it already can recognise it."""
    with transaction.atomic():
        current = Delivery.objects.select_for_update().get(pk=delivery.pk)
        current.status, current.next_attempt_at = Delivery.Status.PENDING, timezone.now()
        current.save(update_fields=["status", "next_attempt_at"])
        schedule_attempt(current.pk, current.attempt_count + 1)
    return current


def _queue(endpoints, type, data):
    if not endpoints:
        return []
    now = timezone.now()
    event = {"id": new_public_id("evt"), "type": type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    body = json.dumps(event, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            delivery = Delivery.objects.create(
                account_id=endpoint.account_id, endpoint=endpoint, event_id=event["id"], event_type=type,
                payload=body, next_attempt_at=now, created_at=now,
            )
            schedule_attempt(delivery.pk, 1)
            deliveries.append(delivery)
    return deliveries
