"""Helpers for driving Settings → Security through Django's test client."""

import re

from rest_framework.test import APIClient

SECURITY = "/settings/security/"
FULL_KEY = re.compile(r"pivra_sk_[A-Za-z0-9]{36}")


def revoke_url(api_key):
    return f"{SECURITY}keys/{api_key.pk}/revoke/"


def create(client, label="Zapier integration", **extra):
    return client.post(SECURITY, {"label": label}, **extra)


def shown_keys(response):
    return FULL_KEY.findall(response.content.decode())


def the_new_key(response):
    """The one full key the page shows; fails unless exactly one is shown."""
    keys = shown_keys(response)
    assert len(keys) == 1, keys
    return keys[0]


def use(raw_key):
    return APIClient().get("/api/usage", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
