"""The dashboard's Add source forms, one per kind (Text, Q&A, URL). The REST API's
SourceSerializer decides what is valid and create_source() what the plan has room for, so the
browser and the API accept the same sources with the same messages."""

from django import forms
from rest_framework import serializers

from chatbots.forms import errors_by_field

from .api import SourceSerializer
from .models import MAX_CONTENT_CHARACTERS, Source


class SourceForm(forms.Form):
    type = None
    # The API's field names → this form's (the knowledge limit's refusal is on `content`).
    api_names = {}

    def __init__(self, *args, account, chatbot, **kwargs):
        self.account, self.chatbot = account, chatbot
        super().__init__(*args, prefix=self.type, **kwargs)

    def api_data(self):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {"chatbot": self.chatbot.pk, "type": self.type, **self.api_data()}
        self.serializer = SourceSerializer(data=data, context={"account": self.account})
        if not self.serializer.is_valid():
            errors_by_field(self, self.serializer.errors, self.api_names)
        return cleaned

    def save(self):
        """The new source, or None with the plan's refusal on the form."""
        try:
            return self.serializer.save(account=self.account)
        except serializers.ValidationError as refusal:
            errors_by_field(self, refusal.detail, self.api_names)
            return None


class TextSourceForm(SourceForm):
    type = Source.Type.TEXT
    api_names = {"content": "text"}
    title = forms.CharField(max_length=500, required=False)
    text = forms.CharField(max_length=MAX_CONTENT_CHARACTERS, widget=forms.Textarea(attrs={"rows": 8}), strip=False)

    def api_data(self):
        return {"title": self.cleaned_data["title"], "content": self.cleaned_data["text"]}


class QASourceForm(SourceForm):
    type = Source.Type.QA
    api_names = {"content": "answer", "title": "question"}
    question = forms.CharField(max_length=500)
    answer = forms.CharField(max_length=MAX_CONTENT_CHARACTERS, widget=forms.Textarea(attrs={"rows": 4}))

    def api_data(self):
        return {"question": self.cleaned_data["question"], "answer": self.cleaned_data["answer"]}


class UrlSourceForm(SourceForm):
    type = Source.Type.URL
    api_names = {"content": "url"}
    # A CharField: the serializer's URLField checks it, with the API's messages.
    url = forms.CharField(max_length=2000, label="URL", widget=forms.URLInput())

    def api_data(self):
        return {"url": self.cleaned_data["url"]}


SOURCE_FORMS = {form.type: form for form in (TextSourceForm, QASourceForm, UrlSourceForm)}
