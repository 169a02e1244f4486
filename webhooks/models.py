import base64
import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account, AccountScopedQuerySet
from usage import limits

# The events an endpoint can subscribe to, with what each says to the customer choosing them.
EVENT_TYPES = {
    "lead.created": "A visitor left their contact details.",
    "lead.updated": "A visitor corrected their contact details.",
    "lead.deleted": "A lead was deleted.",
    "conversation.started": "A visitor started a conversation.",
    "message.created": "A message was added to a conversation (the visitor's or the bot's: many events).",
    "source.ready": "A source was added, or a web page fetched, and is used in answers.",
    "source.failed": "A web page source could not be fetched.",
}
# Every message is an event: a new endpoint gets them only when it asks.
DEFAULT_EVENT_TYPES = [name for name in EVENT_TYPES if name != "message.created"]
TEST_EVENT_TYPE = "webhook.test"

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes
# After a roll, the old secret keeps signing beside the new one this long, so receivers can
# switch without dropping a delivery.
PREVIOUS_SECRET_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS_PER_ACCOUNT = 20


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


class EndpointLimitReached(Exception):
    def __init__(self):
        super().__init__(
            f"An account can have at most {MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints. Delete one to add another."
        )


class WebhookEndpointQuerySet(AccountScopedQuerySet):
    def enabled(self):
        return self.filter(status=WebhookEndpoint.Status.ENABLED)

    def create_endpoint(self, *, account, url, events, **fields):
        """A new endpoint with a new secret (`endpoint.secret`, to show once); EndpointLimitReached
        past MAX_ENDPOINTS_PER_ACCOUNT. Counted under the account's usage lock, so concurrent
        requests cannot all take the last place."""
        with limits.lock(account):
            if self.for_account(account).count() >= MAX_ENDPOINTS_PER_ACCOUNT:
                raise EndpointLimitReached()
            return self.create(account=account, url=url, events=events, **fields)


class WebhookEndpoint(models.Model):
    """A URL of the customer's that Pivra POSTs signed events to."""

    class Status(models.TextChoices):
        ENABLED = "enabled", "Enabled"
        DISABLED = "disabled", "Disabled"

    id = PublicIdField(prefix="we")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENABLED)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # Stored as is, unlike an API key's hash: signing is an HMAC keyed with the secret itself, so
    # Pivra must be able to read it back. Only the page and the API answer that create or roll
    # it show it; logs and the deliveries table never do.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the current run of failed attempts began; None after a success. Five days of nothing
    # but failures disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="webhook_endpoint_newest")]

    def __str__(self):
        return self.url

    @property
    def is_enabled(self):
        return self.status == self.Status.ENABLED

    def signing_secrets(self, now):
        """The secrets that sign a request sent at `now`: the current one, and during the
        overlap after a roll the previous one too."""
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def roll_secret(self, now):
        """Replace the secret; the old one keeps signing beside it for PREVIOUS_SECRET_OVERLAP.
        Returns the new secret."""
        self.previous_secret, self.previous_secret_expires_at = self.secret, now + PREVIOUS_SECRET_OVERLAP
        self.secret = new_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
        return self.secret

    def disable(self, reason=""):
        self.status, self.disabled_reason = self.Status.DISABLED, reason[:200]
        self.save(update_fields=["status", "disabled_reason", "updated_at"])

    def enable(self):
        # A fresh start: past failures do not count towards disabling it again.
        self.status, self.disabled_reason, self.failing_since = self.Status.ENABLED, "", None
        self.save(update_fields=["status", "disabled_reason", "failing_since", "updated_at"])


class Delivery(models.Model):
    """One event's message to one endpoint: the same body and `webhook-id` on every attempt, until
    one succeeds or the retries run out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = PublicIdField(prefix="whd")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=32)  # evt_…, sent as `webhook-id`
    event_type = models.CharField(max_length=40)
    payload = models.TextField()  # the request body, byte for byte the same on every attempt
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)  # finished attempts
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_newest"),
            models.Index(fields=["created_at"], name="webhook_delivery_age"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} → {self.endpoint_id}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery, as the deliveries table shows it. Never a header or the secret."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # None: no answer
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="one_row_per_attempt")]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"

    @property
    def pending_retry_at(self):
        """When the retry after this attempt is due, while it still is (use with the delivery)."""
        delivery = self.delivery
        if delivery.status == Delivery.Status.PENDING and delivery.attempt_count == self.number:
            return self.next_retry_at
        return None
