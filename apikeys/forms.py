from django import forms

from .models import ApiKey


class CreateApiKeyForm(forms.Form):
    label = forms.CharField(
        label="Label",
        max_length=100,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "e.g. CRM sync", "autocomplete": "off"}),
        error_messages={"required": "Enter a label, such as the integration that will use the key."},
    )

    def __init__(self, *args, account, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def clean_label(self):
        label = self.cleaned_data["label"]
        if ApiKey.objects.for_account(self.account).active().filter(label__iexact=label).exists():
            raise forms.ValidationError("An active key already has this label. Choose another label.")
        return label
