"""Plan limits hold when requests arrive at the same moment, on PostgreSQL as in production.

Each test lets threads (each with its own client and database connection) wait at a barrier,
then send their requests together, and checks that the plan allowed exactly as many as it had
room for.
"""

import json
import threading
import time
from functools import partial

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Plan
from chatbots.models import Conversation, Message
from chatbots.services import create_chatbot
from sources.models import Source
from sources.tasks import fetch_source
from tests.factories import make_text_source
from tests.sources import ServerPool, page
from usage import limits
from widget.services import start_conversation

REQUESTS = 6

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency is proven on PostgreSQL (SQLite serialises writers); set DATABASE_URL to run it",
    ),
    # Transactional, so the threads' own connections see committed rows; serialized_rollback puts
    # the migration-seeded plans back for the transactional tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def no_rate_limit_left_over():
    """Rate-limit counts outlive a test in the cache; these tests send bursts, so start at zero."""
    cache.clear()
    yield
    cache.clear()


def all_at_once(*calls):
    """Make each call in its own thread, all released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = calls[i]()
        except Exception as error:  # surfaced by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def in_a_thread(work):
    """Start `work` in a thread with its own database connection; return the thread."""
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def post_json(raw_key, path, body):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    response = client.post(path, body, format="json")
    return response.status_code, response.json()


def slowed(count, seconds=0.05):
    """`count`, taking a moment longer: without the usage lock, every request would count the
    same room before any of them inserted, so the tests below cannot pass by luck."""
    def slow_count(*args, **kwargs):
        result = count(*args, **kwargs)
        time.sleep(seconds)
        return result

    return slow_count


def test_six_chatbots_created_at_once_with_room_for_one_make_exactly_one(raw_key, api_client, account, monkeypatch):
    create_chatbot(account=account, name="One")
    create_chatbot(account=account, name="Two")  # a Starter account: room for one more
    monkeypatch.setattr(limits, "chatbots_used", slowed(limits.chatbots_used))

    results = all_at_once(*(
        partial(post_json, raw_key, "/api/chatbots", {"name": f"Bot {i}"}) for i in range(REQUESTS)
    ))

    assert sorted(status for status, _ in results) == [201] + [400] * (REQUESTS - 1)
    refused = {"non_field_errors": ["Your Starter plan allows 3 chatbot(s). Delete one or upgrade to add more."]}
    assert all(body == refused for status, body in results if status == 400)
    assert api_client.get("/api/usage").json()["limits"]["chatbots"] == {"used": 3, "limit": 3}


def test_six_text_sources_added_at_once_with_room_for_one_add_exactly_one(raw_key, api_client, chatbot, monkeypatch):
    Plan.objects.filter(code="starter").update(max_knowledge_characters=100)
    make_text_source(chatbot, content="x" * 90)
    monkeypatch.setattr(limits, "knowledge_characters_used", slowed(limits.knowledge_characters_used))

    results = all_at_once(*(
        partial(post_json, raw_key, "/api/sources", {"chatbot": chatbot.pk, "type": "text", "content": str(i) * 10})
        for i in range(REQUESTS)
    ))

    assert sorted(status for status, _ in results) == [201] + [400] * (REQUESTS - 1)
    refused = {"content": [
        "This source (10 characters) would exceed your Starter plan's knowledge limit of 100 characters (100 used)."
    ]}
    assert all(body == refused for status, body in results if status == 400)
    assert Source.objects.count() == 2
    assert api_client.get("/api/usage").json()["limits"]["knowledge_characters"] == {"used": 100, "limit": 100}


def test_a_fetched_page_and_a_new_text_source_cannot_both_take_the_last_room(
    raw_key, api_client, chatbot, monkeypatch, settings
):
    Plan.objects.filter(code="starter").update(max_knowledge_characters=100)
    make_text_source(chatbot, content="x" * 60)  # room for 40 more: the page or the text, not both
    settings.SOURCE_FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    with ServerPool() as pool:
        site = pool.start({"/": page("y" * 30, content_type="text/plain")})
        source = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url=site.url(), status="pending")
        # Slower here: the page is fetched before its characters are counted.
        monkeypatch.setattr(limits, "knowledge_characters_used", slowed(limits.knowledge_characters_used, 0.3))

        fetched, (status, _) = all_at_once(
            partial(fetch_source, source_id=source.pk),
            partial(post_json, raw_key, "/api/sources", {"chatbot": chatbot.pk, "type": "text", "content": "z" * 30}),
        )

    assert sorted([fetched.status, "ready" if status == 201 else "failed"]) == ["failed", "ready"]
    if fetched.status == "failed":
        assert fetched.error == (
            "The page's text (30 characters) would exceed the Starter plan's knowledge limit of 100 characters "
            "(90 used)."
        )
    assert api_client.get("/api/usage").json()["limits"]["knowledge_characters"] == {"used": 90, "limit": 100}


def test_a_second_limit_check_for_the_account_waits_for_the_first_to_finish(account):
    entered = []

    def second_check():
        with limits.lock(account):
            entered.append(True)

    with limits.lock(account):
        second = in_a_thread(second_check)
        second.join(timeout=0.5)
        assert entered == []
    second.join(timeout=5)
    assert entered == [True]


def test_a_limit_check_blocks_neither_other_accounts_nor_the_accounts_other_writes(account, other_account, chatbot):
    def other_work():
        Conversation.objects.create(account=account, chatbot=chatbot, visitor_id="meanwhile")
        with limits.lock(other_account):
            pass

    with limits.lock(account):
        other = in_a_thread(other_work)
        other.join(timeout=5)
        assert not other.is_alive()
    assert Conversation.objects.filter(visitor_id="meanwhile").exists()


def send_visitor_message(chatbot, conversation, ip):
    response = Client().post(
        f"/widget/v1/conversations/{conversation.pk}/messages", data=json.dumps({"content": "Do you ship to Canada?"}),
        content_type="application/json", headers={"X-Pivra-Embed-Key": chatbot.embed_key}, REMOTE_ADDR=ip,
    )
    return response.status_code, response.json()


def test_six_visitor_messages_at_once_with_two_credits_left_are_answered_twice(api_client, account, chatbot):
    Plan.objects.filter(code="starter").update(monthly_message_credits=5)
    earlier, _ = start_conversation(chatbot=chatbot, visitor_id="earlier")
    for _ in range(3):
        assert send_visitor_message(chatbot, earlier, "198.51.100.200")[0] == 201
    conversations = [start_conversation(chatbot=chatbot, visitor_id=f"visitor-{i}")[0] for i in range(REQUESTS)]

    results = all_at_once(*(
        partial(send_visitor_message, chatbot, conversations[i], f"198.51.100.{i + 1}") for i in range(REQUESTS)
    ))

    assert sorted(status for status, _ in results) == [200] * (REQUESTS - 2) + [201] * 2
    assert [body["unavailable"] for status, body in results if status == 200] == [True] * (REQUESTS - 2)
    assert Message.objects.filter(role="user").count() == 5
    assert account.monthly_usage.get().messages == 5
    credits = api_client.get("/api/usage").json()["limits"]["message_credits"]
    assert (credits["used"], credits["limit"]) == (5, 5)
