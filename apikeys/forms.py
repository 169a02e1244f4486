from datetime import datetime, time, timedelta, timezone as dt_timezone

from django import forms
from django.utils import timezone

from .models import RESOURCES, ApiKey

NEVER, CUSTOM = "never", "custom"
EXPIRY_CHOICES = [
    (NEVER, "No expiration"), ("30", "30 days"), ("60", "60 days"), ("90", "90 days"), ("365", "1 year"),
    (CUSTOM, "Custom date"),
]
MAX_LIFETIME_DAYS = 365


class CreateApiKeyForm(forms.Form):
    label = forms.CharField(
        label="Label",
        max_length=100,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "e.g. CRM sync", "autocomplete": "off"}),
        error_messages={"required": "Enter a label, such as the integration that will use the key."},
    )
    # Optional, with the defaults below: a form posted with a label alone makes a key as before.
    expires = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial=NEVER, required=False)
    expiry_date = forms.DateField(
        label="Expiry date", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, such as 2027-03-31."},
    )
    access = forms.ChoiceField(
        label="Permissions", choices=ApiKey.Access.choices, initial=ApiKey.Access.FULL, required=False
    )

    def __init__(self, *args, account, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)
        for resource in RESOURCES:  # Restricted keys: one select a resource
            self.fields[resource] = forms.ChoiceField(
                label=resource.capitalize(), choices=ApiKey.Level.choices, initial=ApiKey.Level.NONE, required=False
            )

    @property
    def resource_fields(self):
        return [self[resource] for resource in RESOURCES]

    def clean_label(self):
        label = self.cleaned_data["label"]
        if ApiKey.objects.for_account(self.account).active().filter(label__iexact=label).exists():
            raise forms.ValidationError("An active key already has this label. Choose another label.")
        return label

    def clean(self):
        cleaned = super().clean()
        cleaned["access"] = cleaned.get("access") or ApiKey.Access.FULL
        cleaned["expires_at"] = self._expires_at(cleaned)
        cleaned["resource_levels"] = {}
        if cleaned["access"] == ApiKey.Access.RESTRICTED:
            levels = {resource: cleaned.get(resource) or ApiKey.Level.NONE for resource in RESOURCES}
            cleaned["resource_levels"] = {r: level for r, level in levels.items() if level != ApiKey.Level.NONE}
            if not cleaned["resource_levels"]:
                self.add_error("access", "Give a restricted key Read or Write on at least one resource.")
        return cleaned

    def _expires_at(self, cleaned):
        """When the key stops working: None for no expiration; a custom date expires at the start
        of that day (UTC)."""
        choice = cleaned.get("expires")
        now = timezone.now()
        if choice in (None, "", NEVER):
            return None
        if choice != CUSTOM:
            return now + timedelta(days=int(choice))
        date = cleaned.get("expiry_date")
        if date is None:
            if "expiry_date" not in self.errors:
                self.add_error("expiry_date", "Choose the date the key stops working.")
            return None
        today = now.astimezone(dt_timezone.utc).date()
        if not today < date <= today + timedelta(days=MAX_LIFETIME_DAYS):
            self.add_error("expiry_date", "Choose a date after today and at most one year ahead.")
            return None
        return datetime.combine(date, time.min, tzinfo=dt_timezone.utc)
