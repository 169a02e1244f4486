"""/chatbots/<id>/sources/status/: the status of a chatbot's sources as JSON, which the chatbot
page's script polls while a URL source is being fetched."""

import pytest
from django.test import Client

from chatbots.models import Chatbot
from sources.models import Source
from tests.factories import make_text_source


def status_url(chatbot):
    return f"/chatbots/{chatbot.pk}/sources/status/"


def url_source(chatbot, url="https://example.com/faq", **fields):
    return Source.objects.create(account=chatbot.account, chatbot=chatbot, type=Source.Type.URL, url=url, **fields)


def test_it_lists_the_chatbots_sources_with_their_status_and_reason(alice_client, chatbot):
    shipping = make_text_source(chatbot)
    faq = url_source(chatbot, title="FAQ page", status=Source.Status.FAILED, error="The page answered 404 Not Found.")
    help_centre = url_source(chatbot, url="https://example.com/help", status=Source.Status.PROCESSING)
    response = alice_client.get(status_url(chatbot))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"sources": [
        {"id": help_centre.pk, "name": "https://example.com/help", "status": "processing", "status_display": "Processing",
         "error": "", "characters": 0},
        {"id": faq.pk, "name": "FAQ page", "status": "failed", "status_display": "Failed",
         "error": "The page answered 404 Not Found.", "characters": 0},
        {"id": shipping.pk, "name": "Shipping", "status": "ready", "status_display": "Ready", "error": "", "characters": 18},
    ]}


def test_it_answers_for_the_sources_asked_about_only(alice_client, chatbot):
    make_text_source(chatbot)
    faq = url_source(chatbot)
    response = alice_client.get(status_url(chatbot), {"id": [faq.pk, "src_00000000000000000000", "a\x00b"]})
    assert [source["id"] for source in response.json()["sources"]] == [faq.pk]


def test_it_is_never_stored_by_a_cache(alice_client, chatbot):
    assert alice_client.get(status_url(chatbot))["Cache-Control"] == "no-store"


def test_a_member_can_read_it(bob_client, chatbot):
    source = url_source(chatbot)
    response = bob_client.get(status_url(chatbot))
    assert response.status_code == 200
    assert [(s["id"], s["status"]) for s in response.json()["sources"]] == [(source.pk, "pending")]


def test_another_accounts_chatbot_and_its_sources_are_not_found(alice_client, other_chatbot):
    theirs = url_source(other_chatbot)
    assert alice_client.get(status_url(other_chatbot)).status_code == 404
    assert alice_client.get(status_url(other_chatbot), {"id": theirs.pk}).status_code == 404


def test_a_source_of_another_chatbot_is_not_listed_even_when_asked_for(alice_client, account, chatbot, other_chatbot):
    sibling = url_source(Chatbot.objects.create(account=account, name="Sales bot"))
    theirs = url_source(other_chatbot)
    response = alice_client.get(status_url(chatbot), {"id": [sibling.pk, theirs.pk]})
    assert response.json() == {"sources": []}


@pytest.mark.parametrize("path", ["/chatbots/%00/sources/status/", "/chatbots/bot_x%00/sources/status/",
                                  "/chatbots/bot_00000000000000000000/sources/status/"])
def test_a_malformed_or_unknown_chatbot_id_is_a_404_not_a_500(alice_client, chatbot, path):
    alice_client.raise_request_exception = False
    assert alice_client.get(path).status_code == 404


def test_a_nul_byte_in_a_source_id_is_ignored_not_a_500(alice_client, chatbot):
    alice_client.raise_request_exception = False
    response = alice_client.get(f"{status_url(chatbot)}?id=%00&id=src_%00")
    assert response.status_code == 200 and response.json() == {"sources": []}


def test_it_needs_a_login(chatbot):
    response = Client().get(status_url(chatbot))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_only_reads(alice_client, chatbot):
    assert alice_client.post(status_url(chatbot)).status_code == 405


def test_it_runs_a_constant_number_of_queries(alice_client, chatbot, django_assert_max_num_queries):
    url_source(chatbot)
    with django_assert_max_num_queries(6) as few:
        alice_client.get(status_url(chatbot))
    sources = [url_source(chatbot, url=f"https://example.com/{i}") for i in range(60)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(alice_client.get(status_url(chatbot)).json()["sources"]) == 50
    with django_assert_max_num_queries(len(few.captured_queries)):
        asked = alice_client.get(status_url(chatbot), {"id": [source.pk for source in sources]})
        assert len(asked.json()["sources"]) == 50
