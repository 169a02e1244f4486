"""Hostile bodies on every page and endpoint, logged in and with an API key: a 4xx (or what the
route answers anyway), never a 500."""

import pytest
from django.test import Client

from tests.test_unusual_methods import PATHS

BODIES = {
    "nested 100,000 levels": ("application/json", "[" * 100_000 + "]" * 100_000),
    "nested objects": ("application/json", '{"a":' * 50_000 + "1" + "}" * 50_000),
    "NUL bytes": ("application/json", '{"name": "bot\\u0000", "message": "hi\\u0000", "label": "\\u0000"}'),
    "huge numbers": ("application/json", '{"name": 1e999999, "page_size": 99999999999999999999999, "message": -1e400}'),
    "not JSON": ("application/json", "{'name': nope"),
    "XML": ("text/xml", "<name>bot</name>"),
    "form with NUL": ("application/x-www-form-urlencoded", "label=%00&url=%00&message=%00"),
}


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("path", PATHS)
def test_a_hostile_body_is_never_a_500(alice_client, raw_key, path, kind):
    content_type, body = BODIES[kind]
    alice_client.raise_request_exception = False
    as_owner = alice_client.post(path, data=body, content_type=content_type)
    with_key = Client(raise_request_exception=False).post(
        path, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )
    assert as_owner.status_code < 500, (path, kind, as_owner.status_code)
    assert with_key.status_code < 500, (path, kind, with_key.status_code)


def test_deeply_nested_json_is_a_400_parse_error(api_client):
    response = api_client.post("/api/chatbots", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
