from datetime import timezone

import django_filters
from django.core.exceptions import ValidationError
from django_filters import fields

from chatbots.models import Chatbot, Conversation
from leads.models import Lead
from sources.models import Source


class UtcDateTimeField(fields.IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC here: PostgreSQL refuses offsets beyond ±15:59,
    which Python accepts, and a time near year 1 or 9999 may not exist in UTC at all."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("Enter a date and time between the years 1 and 9999 (UTC).", code="invalid")


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def account_chatbots(request):
    if request is None or request.auth is None:
        return Chatbot.objects.none()
    return Chatbot.objects.for_account(request.auth.account)


def chatbot_filter():
    # Another account's chatbot id is "not a valid choice", exactly like an unknown one.
    return django_filters.ModelChoiceFilter(
        queryset=account_chatbots, help_text="Only this chatbot's objects (a chatbot id)."
    )


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


class ConversationFilter(django_filters.FilterSet):
    chatbot = chatbot_filter()
    started_after = UtcDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text="ISO 8601; conversations started at or after."
    )
    started_before = UtcDateTimeFilter(
        field_name="started_at", lookup_expr="lt", help_text="ISO 8601; conversations started before."
    )

    class Meta:
        model = Conversation
        fields = []


class SourceFilter(django_filters.FilterSet):
    chatbot = chatbot_filter()
    type = django_filters.ChoiceFilter(choices=Source.Type.choices, help_text="Only sources of this type.")
    status = django_filters.ChoiceFilter(
        choices=Source.Status.choices, help_text="Only sources in this state, e.g. `failed` to find broken web pages."
    )

    class Meta:
        model = Source
        fields = []
