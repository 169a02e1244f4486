from django.contrib import admin

from .models import Delivery, DeliveryAttempt, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Staff find an account's endpoints and may disable one; the signing secrets are never shown
    (they are not editable fields, and listed nowhere here)."""

    list_display = ["url", "account", "status", "failing_since", "created_at"]
    list_select_related = ["account"]
    list_filter = ["status", "created_at"]
    search_fields = ["id", "url", "account__name"]
    fields = ["id", "account", "url", "events", "status", "disabled_reason", "failing_since", "created_at"]
    readonly_fields = ["id", "account", "url", "events", "failing_since", "created_at"]

    def has_add_permission(self, request):
        return False  # endpoints come with a secret to show their owner: the page or the API


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "status_code", "duration_ms", "succeeded", "error", "next_retry_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "event_id", "endpoint", "status", "attempt_count", "next_attempt_at", "created_at"]
    list_select_related = ["endpoint"]
    list_filter = ["status", "event_type", "created_at"]
    search_fields = ["id", "event_id", "endpoint__url", "account__name"]
    readonly_fields = [
        "id", "account", "endpoint", "event_id", "event_type", "payload", "status", "attempt_count",
        "next_attempt_at", "created_at",
    ]
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
