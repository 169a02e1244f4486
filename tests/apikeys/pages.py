"""Helpers for driving Settings → Security through Django's test client."""

import re
from html.parser import HTMLParser

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


class _KeysTable(HTMLParser):
    """Reads the keys tables (`table.keys`: the working keys, then the revoked ones) into one
    {column: text} dict a row."""

    def __init__(self):
        super().__init__()
        self.in_table, self.columns, self.rows, self.cell = False, [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "keys" in dict(attrs).get("class", "").split():
            self.in_table, self.columns = True, []
        elif self.in_table and tag == "tr":
            self.row = []
        elif self.in_table and tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if not self.in_table:
            return
        if tag in ("th", "td") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            if not self.columns:
                self.columns = self.row
            elif len(self.row) > 1:
                self.rows.append(dict(zip(self.columns, self.row)))
        elif tag == "table":
            self.in_table = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def keys_table(response_or_page):
    """The keys tables' rows, each a {column heading: cell text} dict."""
    page = response_or_page if isinstance(response_or_page, str) else response_or_page.content.decode()
    parser = _KeysTable()
    parser.feed(page)
    return parser.rows
