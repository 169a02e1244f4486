"""The leads of the REST API: /api/leads."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from django.db import transaction
from rest_framework import mixins, serializers

from api.fields import ID_PATTERN
from api.filters import UtcDateTimeFilter
from api.schema import DELETE_IS_FINAL, object_id, response_example
from api.scoping import AccountScopedViewSet
from chatbots.api import CHATBOT_ID, CONVERSATION_ID, chatbot_filter
from webhooks.events import emit

from .models import Lead

LEAD_EXAMPLE = {
    "id": "lead_9Hs4Xk2Vb7Nq3Lm8Pd1R",
    "chatbot": CHATBOT_ID,
    "conversation": CONVERSATION_ID,
    "name": "Dana Kim",
    "email": "dana@example.org",
    "phone": "+44 20 7946 0958",
    "custom_fields": {"company": "Acme Ltd"},
    "created_at": "2026-05-13T16:41:07Z",
    "updated_at": "2026-05-13T16:41:07Z",
}


@extend_schema_field({
    "type": "object",
    "additionalProperties": True,
    "description": "Answers to the chatbot's custom lead-form questions, by question.",
    "example": {"company": "Acme Ltd", "budget": "5,000–10,000"},
})
class CustomFieldsField(serializers.JSONField):
    pass


class LeadSerializer(serializers.ModelSerializer):
    # A plain string: the visitor may have left only a name or a phone number.
    email = serializers.CharField(read_only=True, help_text="The visitor's email address; empty if not given.")
    custom_fields = CustomFieldsField(read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "chatbot", "conversation", "name", "email", "phone", "custom_fields", "created_at", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {
            "chatbot": {"help_text": "The chatbot that captured it; null once that chatbot is deleted."},
            "conversation": {"help_text": "The conversation it came from; null if that was deleted."},
            "updated_at": {"help_text": "Last change; filter on it with `updated_after` for incremental syncs."},
        }


class LeadFilter(django_filters.FilterSet):
    chatbot = chatbot_filter()
    created_after = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601; leads created at or after."
    )
    created_before = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601; leads created before."
    )
    updated_after = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="ISO 8601; leads changed at or after, for incremental syncs.",
    )
    email = django_filters.CharFilter(
        field_name="email", lookup_expr="iexact", max_length=254,
        help_text="Leads with this email address (not case-sensitive).",
    )

    class Meta:
        model = Lead
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="List leads",
        description=(
            "Contact details your chatbots captured, newest first. To sync them into a CRM, keep the "
            "time of your last sync and ask for `updated_after` it, following `next` until it is null."
        ),
        examples=[response_example(LEAD_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Get a lead", parameters=[object_id("lead", LEAD_EXAMPLE["id"])],
        examples=[response_example(LEAD_EXAMPLE)],
    ),
    destroy=extend_schema(
        summary="Delete a lead",
        description="For example when a visitor asks to be forgotten. " + DELETE_IS_FINAL,
        parameters=[object_id("lead", LEAD_EXAMPLE["id"])],
    ),
)
class LeadViewSet(AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin):
    model = Lead
    api_resource = "leads"
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    lookup_value_regex = ID_PATTERN

    def perform_destroy(self, instance):
        delete_lead(instance)


def delete_lead(lead):
    """Delete the lead and announce it (lead.deleted) with the lead as it was, so integrations know
    which one to remove (by id or email): the API's DELETE and the Leads page both come here."""
    with transaction.atomic():
        data = LeadSerializer(lead).data
        lead.delete()
        emit(lead.account_id, "lead.deleted", data)
