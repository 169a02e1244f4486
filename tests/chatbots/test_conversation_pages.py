"""Conversations in the browser: newest first, filtered, and each transcript with its cited sources
and its lead."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.test import Client

from chatbots.models import Chatbot
from leads.models import Lead
from tests.factories import make_conversation

PAGE = "/conversations/"
START = datetime(2026, 11, 2, 9, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def conversations(account, chatbot):
    sales = Chatbot.objects.create(account=account, name="Sales bot")
    shipping = make_conversation(chatbot, [
        ("user", "How long does shipping take?", []),
        ("assistant", "Standard shipping takes 3 to 5 days.", [{"id": "src_1", "title": "Shipping policy"}]),
    ], started_at=START)
    tents = make_conversation(sales, [("user", "Which tent for winter?", [])], started_at=START + timedelta(days=2))
    return shipping, tents


def rows(response):
    return response.content.decode().split('<table class="conversations">')[1].split("</table>")[0]


def test_the_list_shows_the_accounts_conversations_newest_first_and_no_one_elses(alice_client, conversations, other_chatbot):
    theirs = make_conversation(other_chatbot, [("user", "Not yours", [])])
    html = rows(alice_client.get(PAGE))
    shipping, tents = conversations
    assert html.index(tents.pk) < html.index(shipping.pk)
    assert theirs.pk not in html


def test_each_row_shows_the_first_question_and_the_lead_which_also_name_its_link(alice_client, account, conversations):
    shipping, tents = conversations
    Lead.objects.create(account=account, chatbot=shipping.chatbot, conversation=shipping, name="Maria Rossi", email="maria@example.com")
    html = rows(alice_client.get(PAGE))
    shipping_row = html.split(f'data-conversation-id="{shipping.pk}"')[1].split("</tr>")[0]
    assert '<td class="first-question">How long does shipping take?</td>' in shipping_row
    assert "<td>Maria Rossi</td>" in shipping_row
    assert 'aria-label="2026-11-02 09:00 UTC, transcript with Maria Rossi, “How long does shipping take?”"' in shipping_row
    tents_row = html.split(f'data-conversation-id="{tents.pk}"')[1].split("</tr>")[0]
    assert 'UTC, transcript, “Which tent for winter?”"' in tents_row and "<td>—</td>" in tents_row


@pytest.mark.parametrize("params, expected", [({"from": "2026-11-03"}, "tents"), ({"to": "2026-11-02"}, "shipping")])
def test_filters_by_date(alice_client, conversations, params, expected):
    shipping, tents = conversations
    html = rows(alice_client.get(PAGE, params))
    shown = {"shipping": shipping.pk in html, "tents": tents.pk in html}
    assert [name for name, present in shown.items() if present] == [expected]


def test_filters_by_chatbot(alice_client, conversations, chatbot):
    shipping, tents = conversations
    html = rows(alice_client.get(PAGE, {"chatbot": chatbot.pk}))
    assert shipping.pk in html and tents.pk not in html


def test_the_transcript_shows_the_messages_their_cited_sources_and_the_lead(alice_client, account, conversations):
    shipping, _ = conversations
    Lead.objects.create(account=account, chatbot=shipping.chatbot, conversation=shipping, name="Maria Rossi", email="maria@example.com")
    page = alice_client.get(f"{PAGE}{shipping.pk}/").content.decode()
    assert page.index("How long does shipping take?") < page.index("Standard shipping takes 3 to 5 days.")
    assert "Sources: Shipping policy" in page
    assert "maria@example.com" in page


def test_another_accounts_or_a_malformed_conversation_is_a_404(alice_client, other_chatbot, db):
    theirs = make_conversation(other_chatbot, [("user", "Not yours", [])])
    assert alice_client.get(f"{PAGE}{theirs.pk}/").status_code == 404
    alice_client.raise_request_exception = False
    assert alice_client.get(f"{PAGE}%00/").status_code == 404
    assert alice_client.get(PAGE, {"chatbot": "\x00", "older_than": "\x00"}).status_code == 200


def test_a_member_reads_conversations_too(bob_client, conversations):
    assert bob_client.get(f"{PAGE}{conversations[0].pk}/").status_code == 200


def test_the_pages_need_a_login(conversations):
    assert Client().get(PAGE).status_code == 302


def test_the_list_runs_a_constant_number_of_queries(alice_client, chatbot, django_assert_max_num_queries):
    for i in range(30):
        make_conversation(chatbot, [("user", f"Question {i}", [])], started_at=START + timedelta(minutes=i))
    with django_assert_max_num_queries(12):
        alice_client.get(PAGE)


def test_older_conversations_come_a_page_at_a_time(alice_client, chatbot):
    made = [make_conversation(chatbot, [("user", f"Q{i}", [])], started_at=START + timedelta(minutes=i)) for i in range(55)]
    first = alice_client.get(PAGE)
    assert rows(first).count("<tr data-conversation-id") == 50
    older = first.content.decode().split("older_than=")[1].split('"')[0]
    second = rows(alice_client.get(PAGE, {"older_than": older}))
    assert second.count("<tr data-conversation-id") == 5 and made[0].pk in second
