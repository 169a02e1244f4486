import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# What a public id (`bot_…`, `lead_…`) can look like. Anything else is refused before it reaches
# the database, which would fail on some strings (PostgreSQL refuses NUL characters).
ID_PATTERN = r"[A-Za-z0-9_]+"
ID = re.compile(ID_PATTERN)


class AccountOwnedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to an object of the request's account. Another account's id is refused
    exactly like one that does not exist."""

    default_error_messages = {
        "does_not_exist": "No {model_name} with id '{pk_value}' in your account.",
        "incorrect_type": "Expected an id string, received {data_type}.",
        "invalid_id": "That is not a valid {model_name} id.",
    }

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        account = self.context.get("account")
        return self.model.objects.for_account(account) if account else self.model.objects.none()

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        # Something that cannot be an id (a pasted secret key, say) is neither queried, where
        # SQL logging would record it, nor echoed back.
        if len(data) > self.model._meta.pk.max_length or not ID.fullmatch(data):
            self.fail("invalid_id", model_name=self.model._meta.verbose_name)
        queryset = self.get_queryset()
        try:
            return queryset.get(pk=data)
        except self.model.DoesNotExist:
            self.fail("does_not_exist", model_name=self.model._meta.verbose_name, pk_value=data[:40])


@extend_schema_field({
    "type": "object",
    "additionalProperties": True,
    "description": "Answers to the chatbot's custom lead-form questions, by question.",
    "example": {"company": "Acme Ltd", "budget": "5,000–10,000"},
})
class CustomFieldsField(serializers.JSONField):
    pass


@extend_schema_field({
    "type": "array",
    "description": "For an assistant message, the sources its answer used (empty otherwise).",
    "items": {
        "type": "object",
        "properties": {"id": {"type": "string", "example": "src_4Fh2kQ9LmN3pR7sT1vWx"}, "title": {"type": "string"}},
    },
})
class CitedSourcesField(serializers.JSONField):
    pass
