"""What schemathesis found, pinned down as plain tests (each was a 500 or an undocumented answer)."""

import pytest

from tests.factories import make_leads

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/chatbots/null,null", "/api/leads/%C2%84", "/api/nothing-here"])
def test_an_api_url_that_matches_no_route_is_a_json_404(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 404
    assert response.json() == {"request_id": response["X-Request-ID"], "detail": "Not found.", "code": "not_found"}


def test_a_page_url_that_matches_no_route_keeps_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", [
    "/api/leads?updated_after=2026-01-01T00:00:00-16:40",
    "/api/leads?created_before=1704-07-09T16:07:46.07-23:22",
    "/api/conversations?started_after=0935-08-21T18:53:01.44834-16:40",
])
def test_a_date_filter_with_an_offset_postgresql_refuses_is_answered(api_client, account, chatbot, url):
    make_leads(account, chatbot, 1)
    assert api_client.get(url).status_code == 200


def test_a_date_filter_that_does_not_exist_in_utc_is_a_400(api_client):
    response = api_client.get("/api/leads", {"created_after": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert "created_after" in response.json()


def test_a_chatbot_reference_with_a_nul_character_is_a_400(api_client):
    response = api_client.post("/api/sources", {"chatbot": "\u0000", "type": "text", "content": "x"}, format="json")
    assert response.status_code == 400
    assert "chatbot" in response.json()


@pytest.mark.parametrize("url", ["/api/leads", "/api/sources", "/api/conversations", "/api/usage"])
def test_a_chatbot_filter_with_a_nul_character_is_a_400(api_client, url):
    response = api_client.get(url, {"chatbot": "bot_\u0000"})
    assert response.status_code == 400
    assert "chatbot" in response.json()
