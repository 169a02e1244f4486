"""Plan limits hold when requests arrive at the same moment, on PostgreSQL as in production.

Each test lets several threads (each with its own client and database connection) wait at a
barrier, then send their requests together, and checks that the plan allowed exactly as many as
it had room for.
"""

import json
import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client

from accounts.models import Plan
from chatbots.models import Message
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


def all_at_once(send):
    """Call send(i) for i in range(REQUESTS), in threads released together; return the results."""
    barrier = threading.Barrier(REQUESTS)
    results, errors = [None] * REQUESTS, []

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = send(i)
        except Exception as error:  # surfaced by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


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

    results = all_at_once(lambda i: send_visitor_message(chatbot, conversations[i], f"198.51.100.{i + 1}"))

    assert sorted(status for status, _ in results) == [200] * (REQUESTS - 2) + [201] * 2
    assert [body["unavailable"] for status, body in results if status == 200] == [True] * (REQUESTS - 2)
    assert Message.objects.filter(role="user").count() == 5
    credits = api_client.get("/api/usage").json()["limits"]["message_credits"]
    assert (credits["used"], credits["limit"]) == (5, 5)
