import ipaddress
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
MAX_ALLOWED_IPS = 50
IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


class AllowedIpsField(forms.CharField):
    """IPv4/IPv6 addresses or CIDR ranges, one a line, cleaned to a list of networks as text.
    An IPv4-mapped IPv6 entry becomes its IPv4 form, as client addresses do."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.7\n198.51.100.0/24", "spellcheck": "false"})

    def to_python(self, value):
        lines = [line.strip() for line in (value or "").splitlines()]
        entries = [(number, line) for number, line in enumerate(lines, start=1) if line]
        if len(entries) > MAX_ALLOWED_IPS:
            raise forms.ValidationError(f"Enter at most {MAX_ALLOWED_IPS} addresses or ranges (there are {len(entries)}).")
        networks = []
        for number, line in entries:
            try:
                network = ipaddress.ip_network(line, strict=True)
            except ValueError:
                try:
                    loose = ipaddress.ip_network(line, strict=False)
                except ValueError:
                    raise forms.ValidationError(f"Line {number} (“{line}”) is not an IP address or CIDR range.") from None
                raise forms.ValidationError(
                    f"Line {number} (“{line}”) has host bits set: did you mean {loose}?"
                ) from None
            if network.version == 6 and network.subnet_of(IPV4_MAPPED):
                network = ipaddress.ip_network(f"{network.network_address.ipv4_mapped}/{network.prefixlen - 96}")
            networks.append(str(network.network_address) if network.num_addresses == 1 else str(network))
        return networks


class KeySettingsForm(forms.Form):
    """What a key may do, where from and how often: chosen at creation and editable later."""

    access = forms.ChoiceField(
        label="Permissions", choices=ApiKey.Access.choices, initial=ApiKey.Access.FULL, required=False
    )
    allowed_ips = AllowedIpsField(
        label="Allowed IPs", required=False, help_text="One address or CIDR range a line. Empty: any address."
    )
    requests_per_minute = forms.IntegerField(
        label="Requests per minute", required=False, min_value=1,
        help_text="Optional: this key's own limit, within the plan's limit for the whole account.",
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

    def clean_requests_per_minute(self):
        limit = self.cleaned_data["requests_per_minute"]
        plan = self.account.plan
        if limit and plan.api_requests_per_minute and limit > plan.api_requests_per_minute:
            raise forms.ValidationError(
                f"Enter at most {plan.api_requests_per_minute}, the {plan.name} plan's limit for the whole account."
            )
        return limit

    def clean(self):
        cleaned = super().clean()
        cleaned["access"] = cleaned.get("access") or ApiKey.Access.FULL
        cleaned["resource_levels"] = {}
        if cleaned["access"] == ApiKey.Access.RESTRICTED:
            levels = {resource: cleaned.get(resource) or ApiKey.Level.NONE for resource in RESOURCES}
            cleaned["resource_levels"] = {r: level for r, level in levels.items() if level != ApiKey.Level.NONE}
            if not cleaned["resource_levels"]:
                self.add_error("access", "Give a restricted key Read or Write on at least one resource.")
        return cleaned

    def key_settings(self):
        """The cleaned settings, as ApiKey fields."""
        return {name: self.cleaned_data[name] for name in ("access", "resource_levels", "allowed_ips", "requests_per_minute")}

    @classmethod
    def for_key(cls, api_key, data=None):
        initial = {
            "access": api_key.access, "allowed_ips": "\n".join(api_key.allowed_ips),
            "requests_per_minute": api_key.requests_per_minute, **api_key.resource_levels,
        }
        return cls(data, initial=initial, account=api_key.account)


class CreateApiKeyForm(KeySettingsForm):
    label = forms.CharField(
        label="Label",
        max_length=100,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "e.g. CRM sync", "autocomplete": "off"}),
        error_messages={"required": "Enter a label, such as the integration that will use the key."},
    )
    # Optional, with defaults: a form posted with a label alone makes a Full access key for ever.
    expires = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial=NEVER, required=False)
    expiry_date = forms.DateField(
        label="Expiry date", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, such as 2027-03-31."},
    )
    field_order = ["label", "expires", "expiry_date"]

    def clean_label(self):
        label = self.cleaned_data["label"]
        if ApiKey.objects.for_account(self.account).active().filter(label__iexact=label).exists():
            raise forms.ValidationError("An active key already has this label. Choose another label.")
        return label

    def clean(self):
        cleaned = super().clean()
        cleaned["expires_at"] = self._expires_at(cleaned)
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


class RollApiKeyForm(forms.Form):
    stops_in = forms.TypedChoiceField(
        label="Old key stops working",
        choices=[(0, "Now"), (3600, "1 hour"), (86400, "24 hours"), (604800, "7 days")],
        coerce=lambda seconds: timedelta(seconds=int(seconds)),
        initial=86400,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose when the old key stops working."},
    )
