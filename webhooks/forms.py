from django import forms

from .delivery import endpoint_url_problem
from .models import DEFAULT_EVENT_TYPES, EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/pivra", "autocomplete": "off"}),
        error_messages={"required": "Enter the URL Pivra should send events to."},
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_EVENT_TYPES,
        error_messages={"required": "Choose at least one event."},
    )

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if problem := endpoint_url_problem(url):
            raise forms.ValidationError(problem)
        return url

    def checked_events(self):
        """The event types to show ticked: what was sent, or the defaults on a fresh form."""
        return self.data.getlist("events") if self.is_bound else DEFAULT_EVENT_TYPES
