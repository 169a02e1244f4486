"""Sending one attempt of a delivery, and deciding what follows it.

The rules (Standard Webhooks, and Svix's schedule, which it follows):
- a POST of the delivery's body, signed with `webhook-id` (the event's id, the same on every
  attempt: the receiver's idempotency key), `webhook-timestamp` (this attempt's time) and
  `webhook-signature` (`v1,<base64 HMAC-SHA256>`, two of them while a rolled secret overlaps);
- the endpoint URL passes the same SSRF guard as URL sources at every attempt, and the connection
  goes to the address that was checked;
- a 2xx within TIMEOUT_SECONDS succeeds; anything else fails: redirects are not followed;
- a failed attempt is retried after RETRY_DELAYS (with jitter), each retry a job of its own;
  a 429 or 503's Retry-After is honoured up to MAX_RETRY_AFTER;
- `410 Gone` disables the endpoint at once; an endpoint whose every attempt has failed for
  DISABLE_AFTER is disabled and its owners are emailed.
"""

import email.utils
import http.client
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import Membership
from observability import metrics
from outbound import guard
from outbound.http import connection, failure_message

from .models import Delivery, DeliveryAttempt, WebhookEndpoint

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15
SAVE_LOOKUP_SECONDS = 5  # how long saving an endpoint may wait for its host name to resolve
# Seconds to wait after attempt 1, 2, … before the next one: 8 attempts over about 28 hours.
RETRY_DELAYS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
JITTER = 0.1  # each delay is moved by up to 10% either way, so failed bursts do not retry in step
MAX_RETRY_AFTER = 10 * 3600
DISABLE_AFTER = timedelta(days=5)
USER_AGENT = "Pivra-Webhooks/1.0"

# How the guard's refusals read for an endpoint URL, in the form, the API and the deliveries table.
REFUSALS = {
    guard.SCHEME: "The endpoint URL must start with https://.",
    guard.CREDENTIALS: "The endpoint URL contains a user name or password, which Pivra does not send. "
    "Put a token in the path or the query instead.",
    guard.INVALID: "The endpoint URL is not a valid web address.",
    guard.UNKNOWN_HOST: "The endpoint URL has a host name that could not be found.",
    guard.PRIVATE: "The endpoint URL resolves to a private network address, which Pivra does not send webhooks to.",
}
PLAIN_HTTP = "The endpoint URL must start with https:// (plain http:// only in development)."


class EndpointRefused(Exception):
    """Pivra will not send to this URL; the message says why, for the customer."""


def check_endpoint_url(url, *, deadline):
    """The `outbound.guard.Target` to send to, or EndpointRefused. Used when an endpoint is saved
    and again at every attempt: DNS may point the name somewhere else since."""
    try:
        target = guard.check(url, deadline=deadline)
    except guard.Refused as refused:
        raise EndpointRefused(REFUSALS[refused.reason]) from None
    except TimeoutError:
        raise EndpointRefused("The endpoint URL's host name took too long to look up.") from None
    if target.scheme != "https" and not (settings.DEBUG or guard.is_allowlisted(target.host, target.port)):
        raise EndpointRefused(PLAIN_HTTP)
    return target


def endpoint_url_problem(url):
    """Why Pivra will not save `url` as an endpoint, in words for the customer; None if it will."""
    try:
        check_endpoint_url(url, deadline=time.monotonic() + SAVE_LOOKUP_SECONDS)
    except EndpointRefused as refused:
        return str(refused)
    return None


def signature_header(secrets, *, msg_id, timestamp, body):
    """`webhook-signature`: one `v1,…` signature per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)


@dataclass
class Outcome:
    status_code: int | None = None
    error: str = ""
    retry_after: int | None = None  # seconds, from a 429 or 503
    duration_ms: int = 0

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def send(endpoint, delivery, now):
    """POST the delivery to the endpoint once; the `Outcome`. Never raises for the network's sake."""
    started = time.monotonic()
    deadline = started + TIMEOUT_SECONDS
    body = delivery.payload.encode()
    outcome = Outcome()
    try:
        target = check_endpoint_url(endpoint.url, deadline=deadline)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(
                endpoint.signing_secrets(now), msg_id=delivery.event_id, timestamp=now, body=body
            ),
            "Connection": "close",
        }
        with connection(target, deadline) as conn:
            conn.request("POST", target.path, body=body, headers=headers)
            response = conn.getresponse()
            if time.monotonic() >= deadline:
                raise TimeoutError  # the watchdog cut the answer short
            outcome.status_code = response.status
            if response.status in (429, 503):
                outcome.retry_after = parse_retry_after(response.getheader("Retry-After"), now)
    except EndpointRefused as refused:
        outcome.error = str(refused)
    except (OSError, http.client.HTTPException) as error:
        timed_out = time.monotonic() >= deadline
        outcome.error = failure_message(error, timed_out=timed_out, seconds=TIMEOUT_SECONDS, subject="The endpoint")
    outcome.duration_ms = round((time.monotonic() - started) * 1000)
    if outcome.status_code is not None and not outcome.succeeded:
        outcome.error = _status_error(outcome.status_code)
    return outcome


def _status_error(status):
    if 300 <= status < 400:
        return f"The endpoint answered {status}, a redirect. Pivra does not follow redirects: use the final URL."
    if status == 410:
        return "The endpoint answered 410 Gone, so Pivra disabled it."
    return f"The endpoint answered {status}; only a 2xx answer counts as delivered."


def parse_retry_after(value, now):
    """Retry-After in seconds (it may be seconds or an HTTP date); None when absent or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0, int((when - now).total_seconds()))


def retry_delay(attempt, retry_after=None):
    """Seconds before the attempt after `attempt` (1-based), or None when the retries are spent."""
    if attempt > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[attempt - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return max(1, round(delay))


def attempt(delivery_id, number, *, schedule):
    """Make attempt `number` of a delivery, record it, and if it failed schedule the next one with
    `schedule(delivery_id, number, in_seconds=…)` (tasks.schedule_attempt), in the transaction
    that records this one: a retry is never lost, nor scheduled for an attempt not recorded.

    A job may run twice (its worker died after sending, a Resend raced a retry): the attempt is
    recorded only if no other run recorded `number` first, and the request itself may reach the
    receiver twice, which the unchanged `webhook-id` lets it recognise.
    """
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING or delivery.attempt_count != number - 1:
        return None  # deleted, finished, or this attempt was made already
    endpoint = delivery.endpoint
    if not endpoint.is_enabled:
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, next_attempt_at=None
        )
        return None
    now = timezone.now()
    outcome = send(endpoint, delivery, now)
    metrics.WEBHOOK_ATTEMPTS.labels(
        "delivered" if outcome.succeeded else "no_answer" if outcome.status_code is None else "refused"
    ).inc()
    return _record(delivery, number, outcome, now, schedule)


def _record(delivery, number, outcome, started_at, schedule):
    now = timezone.now()
    with transaction.atomic():
        claimed = Delivery.objects.select_for_update().filter(
            pk=delivery.pk, status=Delivery.Status.PENDING, attempt_count=number - 1
        ).first()
        if claimed is None:
            return None
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        next_retry_at = None
        if outcome.succeeded:
            status = Delivery.Status.SUCCEEDED
            if endpoint.failing_since:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
        else:
            status = Delivery.Status.FAILED
            delay = None if outcome.status_code == 410 else retry_delay(number, outcome.retry_after)
            if delay is not None:
                status, next_retry_at = Delivery.Status.PENDING, now + timedelta(seconds=delay)
                schedule(delivery.pk, number + 1, in_seconds=delay)
            _count_failure(endpoint, outcome, now)
        claimed.status, claimed.attempt_count, claimed.next_attempt_at = status, number, next_retry_at
        claimed.save(update_fields=["status", "attempt_count", "next_attempt_at"])
        return DeliveryAttempt.objects.create(
            delivery=claimed, number=number, started_at=started_at, status_code=outcome.status_code,
            duration_ms=outcome.duration_ms, succeeded=outcome.succeeded, error=outcome.error[:300],
            next_retry_at=next_retry_at,
        )


def _count_failure(endpoint, outcome, now):
    """A failed attempt: 410 disables the endpoint now; five days of failures disable it too."""
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since", "updated_at"])
    if not endpoint.is_enabled:
        return
    if outcome.status_code == 410:
        endpoint.disable("The endpoint answered 410 Gone.")
        logger.info("Webhook endpoint %s disabled: it answered 410 Gone", endpoint.pk)
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.disable(f"Every attempt failed for {DISABLE_AFTER.days} days.")
        logger.info("Webhook endpoint %s disabled: every attempt failed for %s days", endpoint.pk, DISABLE_AFTER.days)
        transaction.on_commit(partial(email_owners_about_disabling, endpoint.pk))


def email_owners_about_disabling(endpoint_id):
    """Tell the account's owners, once the endpoint's disabling has committed. A mail server that
    fails is logged: the endpoint stays disabled, and the page says why."""
    endpoint = WebhookEndpoint.objects.select_related("account").filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    owners = Membership.objects.filter(account=endpoint.account, role=Membership.Role.OWNER, user__is_active=True)
    recipients = [membership.user.email for membership in owners.select_related("user")]
    if not recipients:
        return
    try:
        send_mail(
            subject=f"Pivra disabled a webhook endpoint of {endpoint.account.name}",
            message=(
                f"Every delivery to {endpoint.url} has failed for {DISABLE_AFTER.days} days, so Pivra has "
                "stopped sending events to it.\n\nFix the endpoint, then enable it again in Settings → "
                "Webhooks; from there you can also resend the deliveries it missed."
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("Could not email the owners of account %s that webhook endpoint %s was disabled",
                         endpoint.account_id, endpoint.pk)
