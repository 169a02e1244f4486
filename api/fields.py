import re

from rest_framework import serializers

from accounts.models import Account

# What a public id (`bot_…`, `lead_…`) can look like. Anything else is refused before it reaches
# the database, which would fail on some strings (PostgreSQL refuses NUL characters).
ID_PATTERN = r"[A-Za-z0-9_]+"
ID = re.compile(ID_PATTERN)


def public_id_or_none(value):
    """A public id as a URL or a query parameter gave it, or None for anything that cannot be one:
    the pages look it up only then, so a NUL byte is a 404 or no filter, never a 500."""
    return value if value and len(value) <= 40 and ID.fullmatch(value) else None


class AccountOwnedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to an object of the request's account, named by the account's relation
    to it (`AccountOwnedRelatedField("chatbots")`). Another account's id is refused exactly like
    one that does not exist."""

    default_error_messages = {
        "does_not_exist": "No {model_name} with id '{pk_value}' in your account.",
        "incorrect_type": "Expected an id string, received {data_type}.",
        "invalid_id": "That is not a valid {model_name} id.",
    }

    def __init__(self, related_name, **kwargs):
        self.related_name = related_name
        self.model = Account._meta.get_field(related_name).related_model
        super().__init__(queryset=self.model.objects.none(), **kwargs)

    def get_queryset(self):
        account = self.context.get("account")
        return getattr(account, self.related_name).all() if account else self.model.objects.none()

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
