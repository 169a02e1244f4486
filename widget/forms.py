import re

from django import forms
from django.core.exceptions import ValidationError

MAX_MESSAGE_CHARS = 2000
PHONE = re.compile(r"^\+?[0-9 ().\-/]{6,30}$")


class JsonForm(forms.Form):
    """A form bound to a parsed JSON object, where each field must be a string (or null/absent):
    a list or a number is refused rather than turned into its repr."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name in self.fields:
            value = self.data.get(name)
            if value is not None and not isinstance(value, str):
                self.add_error(name, "Send this field as a string.")


class StartConversationForm(JsonForm):
    conversation_id = forms.RegexField(regex=r"^conv_[0-9A-Za-z]{20}$", required=False)
    visitor_id = forms.RegexField(regex=r"^[0-9A-Za-z_-]{1,64}$", required=False)


class MessageForm(JsonForm):
    content = forms.CharField(max_length=MAX_MESSAGE_CHARS, error_messages={"required": "Type a message first."})


class LeadForm(JsonForm):
    """The lead form as the chatbot's lead capture settings ask for it: each field it collects is
    required, the others are not accepted."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    phone = forms.CharField(max_length=50)

    def __init__(self, *args, chatbot, **kwargs):
        super().__init__(*args, **kwargs)
        collected = lead_fields(chatbot)
        for name in list(self.fields):
            if name not in collected:
                del self.fields[name]

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6:
            raise ValidationError("Enter a phone number, such as +1 555 010 0199.")
        return phone


def lead_fields(chatbot):
    """The lead form's fields, in order, as the chatbot collects them."""
    wanted = {"name": chatbot.lead_collect_name, "email": chatbot.lead_collect_email, "phone": chatbot.lead_collect_phone}
    return [name for name, collected in wanted.items() if collected]
