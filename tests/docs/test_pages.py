"""The API reference and the Getting started page: public, served by the app itself, linked."""

import re

import pytest

pytestmark = pytest.mark.django_db


def asset_urls(html):
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_api_reference_needs_no_key_or_login(client):
    for url in ("/api/docs/", "/api/docs"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "swagger-ui" in response.content.decode()


def test_the_api_reference_serves_its_assets_itself_not_from_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assets = asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    start_up = [url for url in assets if url.startswith("/api/docs/?")]  # the page's own script (no inline one)
    assert len(start_up) == 1
    for url in assets:
        assert url.startswith("/static/") or url in start_up, url
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url
    assert "/api/schema" in client.get(start_up[0].replace("&amp;", "&")).content.decode()


def test_getting_started_needs_no_login(client):
    assert client.get("/docs/getting-started/").status_code == 200


def test_getting_started_shows_the_curl_example_for_this_host(client, settings):
    settings.ALLOWED_HOSTS = ["app.pivra.example"]
    html = client.get("/docs/getting-started/", HTTP_HOST="app.pivra.example").content.decode()
    assert 'curl http://app.pivra.example/api/leads -H "Authorization: Bearer pivra_sk_…"' in html


@pytest.mark.parametrize("text", [
    "Settings → Security",  # where keys are created
    "page_size",  # pagination
    "up to 100",
    "<code>next</code>",
    "not_authenticated",  # errors
    "invalid_api_key",
    "embed_key_not_allowed",
    "plan_not_allowed",
    "rate_limited",
    "unsupported_media_type",
    "Retry-After",  # rate limits
    "Rotating a key without downtime",
    "pivra_pk_",  # secret vs embed keys
    'href="/api/docs"',  # the reference
    "webhook-signature",  # webhooks
    "Chat with a bot",  # the chat API, blocking and streamed
    "event: message.delta",
    "credits_exhausted",
])
def test_getting_started_covers_what_an_integrator_needs(client, text):
    assert text in client.get("/docs/getting-started/").content.decode()


def test_getting_started_lists_each_plans_rate_limit(client):
    html = client.get("/docs/getting-started/").content.decode()
    assert re.search(r"<td>Starter</td><td>120</td>", html)
    assert re.search(r"<td>Business</td><td>3000</td>", html)
    assert re.search(r"<td>Free</td><td>No API access</td>", html)


def test_the_security_page_links_to_getting_started(alice_client):
    html = alice_client.get("/settings/security/").content.decode()
    assert 'href="/docs/getting-started/"' in html
