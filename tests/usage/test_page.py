"""Usage in the browser: each limit as used against allowed, and when the monthly ones reset."""

import pytest
from django.test import Client

from chatbots.models import Chatbot
from usage.limits import use_message_credit

PAGE = "/usage/"


def test_each_limit_shows_used_of_allowed_with_a_bar(alice_client, account, chatbot):
    Chatbot.objects.create(account=account, name="Sales bot")
    for _ in range(3):
        use_message_credit(account=account)
    page = alice_client.get(PAGE).content.decode()
    assert "Starter plan" in page
    assert '<meter min="0" max="3" value="2" aria-label="Chatbots: 2 of 3">' in page
    assert "3 of 2,000 visitors&#x27; messages this month" in page or "3 of 2,000 visitors' messages this month" in page
    assert page.count("<meter") == 5
    assert "resets" in page


def test_a_limit_reached_says_so(alice_client, account):
    for name in ("One", "Two", "Three"):
        Chatbot.objects.create(account=account, name=name)
    assert "limit reached" in alice_client.get(PAGE).content.decode()


def test_a_member_sees_the_usage_too(bob_client, db):
    assert bob_client.get(PAGE).status_code == 200


def test_the_page_needs_a_login(db):
    assert Client().get(PAGE).status_code == 302


def test_the_page_runs_a_constant_number_of_queries(alice_client, account, django_assert_max_num_queries):
    for i in range(3):
        Chatbot.objects.create(account=account, name=f"Bot {i}")
    with django_assert_max_num_queries(15):
        alice_client.get(PAGE)
