"""CORS: the widget answers pages on the chatbot's allowed domains (any page when it has none)."""

import pytest
from django.db import OperationalError, connection

from chatbots.models import Conversation


@pytest.fixture
def shop_bot(chatbot):
    chatbot.allowed_domains = ["shop.example.com", "*.example.net"]
    chatbot.save()
    return chatbot


def test_an_allowed_origin_is_echoed(widget, shop_bot):
    response = widget.post("conversations", origin="https://shop.example.com")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response


def test_a_port_does_not_matter_only_the_host_name(widget, shop_bot):
    response = widget.post("conversations", origin="http://SHOP.example.com:8080")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "http://SHOP.example.com:8080"


def test_a_wildcard_domain_allows_its_subdomains(widget, shop_bot):
    assert widget.post("conversations", origin="https://www.example.net").status_code == 201
    assert widget.post("conversations", origin="https://a.b.example.net").status_code == 201
    assert widget.post("conversations", origin="https://example.net").status_code == 403


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.org",
        "https://shop.example.com.evil.org",
        "https://evilshop.example.com",
        "https://notexample.net",
        "null",
    ],
)
def test_another_origin_is_refused_with_a_403_and_no_cors_header(widget, shop_bot, origin):
    response = widget.post("conversations", origin=origin)
    assert response.status_code == 403
    assert response.json() == {"request_id": response["X-Request-ID"], "detail": "This chatbot does not answer on this website.", "code": "origin_not_allowed"}
    assert "Access-Control-Allow-Origin" not in response
    assert not Conversation.objects.exists()


def test_pivras_own_pages_may_chat_whatever_the_allowed_domains(widget, shop_bot):
    """Install → Preview runs the widget on Pivra's own site."""
    assert widget.post("conversations", origin="http://testserver").status_code == 201


def test_a_browser_saying_same_origin_is_on_pivras_own_page_even_behind_a_tls_proxy(widget, shop_bot):
    """The proxy ended TLS and SECURE_PROXY_SSL_HEADER is off: Pivra sees http, the page was https."""
    response = widget.post("conversations", origin="https://testserver", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 201


@pytest.mark.parametrize("sec_fetch_site", ["cross-site", "same-site", "none"])
def test_a_browser_saying_another_site_is_refused_even_with_pivras_origin(widget, shop_bot, sec_fetch_site):
    response = widget.post("conversations", origin="http://testserver", headers={"Sec-Fetch-Site": sec_fetch_site})
    assert response.status_code == 403


@pytest.mark.parametrize("origin", ["https://testserver", "http://testserver:8000", "http://testserver.evil.org", "null"])
def test_without_sec_fetch_site_only_pivras_exact_origin_counts_as_its_own(widget, shop_bot, origin):
    assert widget.post("conversations", origin=origin).status_code == 403


def test_a_request_without_an_origin_is_refused_when_domains_are_set(widget, shop_bot):
    response = widget.client.post(
        "/widget/v1/conversations", data="{}", content_type="application/json",
        headers={"X-Pivra-Embed-Key": shop_bot.embed_key},
    )
    assert response.status_code == 403


def test_a_refused_origin_cannot_send_messages_either(widget, shop_bot):
    conversation_id = widget.start()["conversation"]["id"]
    response = widget.ask(conversation_id, "Hello", origin="https://evil.example.org")
    assert response.status_code == 403
    assert not Conversation.objects.get(pk=conversation_id).messages.exists()


def test_without_allowed_domains_any_origin_is_allowed(widget, chatbot):
    assert chatbot.allowed_domains == []
    response = widget.post("conversations", origin="https://anywhere.example")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://anywhere.example"


def test_the_preflight_allows_the_embed_key_header(widget):
    response = widget.client.options(
        "/widget/v1/conversations",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-pivra-embed-key",
        },
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-pivra-embed-key"} <= allowed
    assert int(response["Access-Control-Max-Age"]) > 0


def test_the_preflight_of_a_conversations_messages_is_answered_too(widget):
    response = widget.client.options(
        "/widget/v1/conversations/conv_AAAAAAAAAAAAAAAAAAAA/messages",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200


def test_a_key_error_is_readable_by_the_page_so_the_widget_can_show_it(widget):
    response = widget.post("conversations", embed_key="pivra_pk_wrong", origin="https://shop.example.com")
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"


def refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


def refuse_writes(execute, sql, params, many, context):
    if not sql.lstrip().upper().startswith("SELECT"):
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


@pytest.mark.parametrize("outage", [refuse_every_query, refuse_writes], ids=["reading-the-key", "starting-the-conversation"])
def test_a_database_outage_is_a_503_the_page_can_read(widget, shop_bot, outage):
    with connection.execute_wrapper(outage):
        response = widget.post("conversations", origin="https://shop.example.com")
    assert response.status_code == 503
    assert response.json() == {"request_id": response["X-Request-ID"],
        "detail": "The service is temporarily unavailable. Please retry shortly.", "code": "service_unavailable"
    }
    assert response["Retry-After"] == "5"
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    assert response["Cache-Control"] == "no-store"
