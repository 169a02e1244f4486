"""The dashboard's chatbot forms. Django forms render and read the page; the REST API's
ChatbotSerializer decides what is valid, so the browser and the API accept the same chatbots and
word their refusals the same way."""

from django import forms

from .api import ChatbotSerializer
from .models import Chatbot


def errors_by_field(form, errors, rename=None):
    """Put a serializer's errors on the form's fields (or on the form when it has no such field).
    A list field's per-item errors ({0: [...]}) are flattened into the field's list."""
    for name, messages in errors.items():
        name = (rename or {}).get(name, name)
        if isinstance(messages, dict):
            messages = [message for item in messages.values() for message in item]
        form.add_error(name if name in form.fields else None, [str(message) for message in messages])


class CreateChatbotForm(forms.Form):
    name = forms.CharField(max_length=100)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            serializer = ChatbotSerializer(data={"name": cleaned["name"]})
            if not serializer.is_valid():
                errors_by_field(self, serializer.errors)
        return cleaned


class ChatbotForm(forms.Form):
    name = forms.CharField(max_length=100)
    welcome_message = forms.CharField(max_length=500, help_text="The first message visitors see in the widget.")
    instructions = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="How the bot should answer: tone, scope, what to avoid.",
    )
    fallback_answer = forms.CharField(
        max_length=500, help_text="What the bot answers when none of its sources matches the question.",
    )
    allowed_domains = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One host name per line, such as example.com or *.example.com. Empty: any site may embed the widget.",
    )
    lead_collect_name = forms.BooleanField(required=False, label="Name")
    lead_collect_email = forms.BooleanField(required=False, label="Email")
    lead_collect_phone = forms.BooleanField(required=False, label="Phone")

    def __init__(self, *args, chatbot, **kwargs):
        self.chatbot = chatbot
        initial = {name: getattr(chatbot, name) for name in self.base_fields if name != "allowed_domains"}
        initial["allowed_domains"] = "\n".join(chatbot.allowed_domains)
        super().__init__(*args, initial=initial, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {**cleaned, "allowed_domains": [line.strip() for line in cleaned["allowed_domains"].splitlines() if line.strip()]}
        self.serializer = ChatbotSerializer(self.chatbot, data=data, partial=True)
        if not self.serializer.is_valid():
            errors_by_field(self, self.serializer.errors)
        return cleaned

    def save(self):
        return self.serializer.save()
