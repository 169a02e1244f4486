"""Public identifiers: a type prefix and 20 base62 characters (about 119 random bits).

Prefixed random IDs say what they point at (`lead_…`, `bot_…`) and reveal neither how many rows
exist nor who else is a customer, unlike sequential integers.
"""

import secrets
import string

from django.db import models

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def random_base62(length):
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_public_id(prefix):
    return f"{prefix}_{random_base62(20)}"


class PublicIdField(models.CharField):
    """A primary key such as `lead_4Fh…`, generated when the object is instantiated."""

    def __init__(self, prefix, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        super().__init__(**kwargs)

    def get_default(self):
        return new_public_id(self.prefix)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        return name, path, args, kwargs
