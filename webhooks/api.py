"""Webhook endpoints in the REST API: /api/webhook-endpoints, so integrations (a Zapier zap, a
CRM) subscribe and unsubscribe themselves."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.settings import api_settings

from api.fields import ID_PATTERN
from api.schema import DELETE_IS_FINAL, object_id, response_example
from api.scoping import AccountScopedViewSet

from .delivery import endpoint_url_problem
from .models import DEFAULT_EVENT_TYPES, EVENT_TYPES, EndpointLimitReached, WebhookEndpoint

ENDPOINT_EXAMPLE = {
    "id": "we_7Qm2Xk9Lb4Nv1Rt8Pd3S",
    "url": "https://hooks.example.com/pivra",
    "events": ["lead.created", "lead.updated"],
    "status": "enabled",
    "created_at": "2026-05-14T09:12:44Z",
}
SECRET_EXAMPLE = "whsec_Y3J5cHRvZ3JhcGhpY2FsbHkgcmFuZG9tIGJ5dGVzISE="


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = serializers.CharField(
        max_length=2000,
        help_text="Where Pivra POSTs events: an https:// URL on a public address (checked when saved and at "
        "every delivery).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), allow_empty=False, max_length=len(EVENT_TYPES),
        required=False,
        help_text="The event types to send. By default every type but `message.created` (one event per message).",
    )
    status = serializers.ChoiceField(
        choices=WebhookEndpoint.Status.choices, required=False,
        help_text="`disabled` stops deliveries. Pivra disables an endpoint that answers 410 Gone, or whose every "
        "delivery failed for 5 days; set `enabled` to resume.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "status", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, url):
        url = url.strip()
        if problem := endpoint_url_problem(url):
            raise serializers.ValidationError(problem)
        return url

    def validate_events(self, events):
        return [name for name in EVENT_TYPES if name in events]  # each once, in the catalogue's order

    def create(self, validated_data):
        validated_data.setdefault("events", list(DEFAULT_EVENT_TYPES))
        try:
            return WebhookEndpoint.objects.create_endpoint(**validated_data)
        except EndpointLimitReached as error:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [str(error)]}, code="limit_reached"
            ) from None

    def update(self, instance, validated_data):
        status = validated_data.pop("status", None)
        instance = super().update(instance, validated_data)
        if status == WebhookEndpoint.Status.ENABLED and not instance.is_enabled:
            instance.enable()
        elif status == WebhookEndpoint.Status.DISABLED and instance.is_enabled:
            instance.disable("Disabled through the API.")
        return instance


class NewWebhookEndpointSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_…`), in this answer only: store it to verify the "
        "`webhook-signature` header of every request (Standard Webhooks).",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints",
        description="The account's webhook endpoints, newest first. Their secrets are never listed.",
        examples=[response_example(ENDPOINT_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Subscribe a webhook endpoint",
        description=(
            "Pivra POSTs each event of the chosen types to `url` as JSON "
            '(`{"id": "evt_…", "type", "timestamp", "data"}`, `data` being the object as this API '
            "returns it), signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, "
            "`webhook-signature`). The answer, and only it, includes the signing `secret`. A 2xx within "
            "15 seconds counts as delivered; anything else is retried for about a day. At most 20 "
            "endpoints per account."
        ),
        responses={201: NewWebhookEndpointSerializer},
        examples=[
            OpenApiExample("New leads", request_only=True, value={
                "url": "https://hooks.example.com/pivra", "events": ["lead.created", "lead.updated"],
            }),
            response_example({**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE}),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a webhook endpoint", parameters=[object_id("webhook endpoint", ENDPOINT_EXAMPLE["id"])],
        examples=[response_example(ENDPOINT_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint",
        description="Send only the fields to change. `events` replaces the whole list; `status` disables or enables it.",
        parameters=[object_id("webhook endpoint", ENDPOINT_EXAMPLE["id"])],
        examples=[
            OpenApiExample("Pause deliveries", value={"status": "disabled"}, request_only=True),
            response_example({**ENDPOINT_EXAMPLE, "status": "disabled"}),
        ],
    ),
    destroy=extend_schema(
        summary="Unsubscribe a webhook endpoint",
        description="Deliveries to it stop at once, retries included. " + DELETE_IS_FINAL,
        parameters=[object_id("webhook endpoint", ENDPOINT_EXAMPLE["id"])],
    ),
)
class WebhookEndpointViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin,
):
    model = WebhookEndpoint
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return NewWebhookEndpointSerializer if self.action == "create" else WebhookEndpointSerializer

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # it carries the secret: no cache along the way keeps it
        return response
