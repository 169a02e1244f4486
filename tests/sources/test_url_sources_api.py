"""A URL source created through the API is fetched by the worker and ends with its text."""

import pytest

from sources.worker import process_pending
from tests.sources import ServerPool, allow, page


@pytest.fixture
def help_center(settings):
    html = (
        "<html><head><title>Returns</title><script>track()</script></head>"
        "<body><nav>Home | Shop</nav><p>Unused items can be returned within 30 days.</p></body></html>"
    )
    with ServerPool() as pool:
        yield allow(settings, pool.start({"/returns": page(html)}))  # loopback, for this test only


def test_a_url_source_goes_from_pending_to_ready_with_the_pages_text(api_client, chatbot, help_center):
    created = api_client.post(
        "/api/sources", {"chatbot": chatbot.pk, "type": "url", "url": help_center.url("/returns")}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"

    assert process_pending() == 1

    source = api_client.get(f"/api/sources/{created.json()['id']}").json()
    assert source["status"] == "ready", source["error"]
    assert "Unused items can be returned within 30 days." in source["content"]
    assert "track()" not in source["content"]
    assert source["character_count"] == len(source["content"])


def test_a_url_source_for_a_private_address_ends_failed_and_the_server_gets_nothing(api_client, chatbot):
    with ServerPool() as pool:
        server = pool.start({"/": page("<p>internal admin</p>")})
        created = api_client.post(
            "/api/sources", {"chatbot": chatbot.pk, "type": "url", "url": server.url("/")}, format="json"
        )
        process_pending()
        assert server.requests == []
    source = api_client.get(f"/api/sources/{created.json()['id']}").json()
    assert source["status"] == "failed"
    assert "private" in source["error"]
