import django_filters

from chatbots.models import Chatbot, Conversation
from leads.models import Lead
from sources.models import Source


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
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601; leads created at or after."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601; leads created before."
    )
    updated_after = django_filters.IsoDateTimeFilter(
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
    started_after = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text="ISO 8601; conversations started at or after."
    )
    started_before = django_filters.IsoDateTimeFilter(
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
