from datetime import timedelta

from django.utils import timezone

from chatbots.models import Chatbot

from tests.factories import make_conversation


def test_conversations_are_listed_newest_first_without_messages(api_client, chatbot):
    older = make_conversation(chatbot, [("user", "Hi", [])], started_at=timezone.now() - timedelta(hours=2))
    newer = make_conversation(chatbot, [("user", "Hello", [])])
    results = api_client.get("/api/conversations").json()["results"]
    assert [c["id"] for c in results] == [newer.pk, older.pk]
    assert "messages" not in results[0]
    assert results[0]["message_count"] == 1


def test_a_conversation_shows_its_messages_in_order_with_cited_sources(api_client, chatbot):
    cited = [{"id": "src_abc", "title": "Shipping"}]
    conversation = make_conversation(
        chatbot,
        [("user", "How long is shipping?", []), ("assistant", "3 to 5 days.", cited), ("user", "Thanks!", [])],
    )
    body = api_client.get(f"/api/conversations/{conversation.pk}/").json()
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("user", "How long is shipping?"), ("assistant", "3 to 5 days."), ("user", "Thanks!"),
    ]
    assert body["messages"][1]["cited_sources"] == cited
    assert body["chatbot"] == chatbot.pk


def test_conversations_filter_by_chatbot_and_start_time(api_client, account, chatbot):
    sales = Chatbot.objects.create(account=account, name="Sales")
    make_conversation(chatbot, [("user", "a", [])], started_at=timezone.now() - timedelta(days=5))
    recent = make_conversation(chatbot, [("user", "b", [])])
    make_conversation(sales, [("user", "c", [])])
    since = (timezone.now() - timedelta(days=1)).isoformat()
    results = api_client.get("/api/conversations", {"chatbot": chatbot.pk, "started_after": since}).json()["results"]
    assert [c["id"] for c in results] == [recent.pk]
    assert api_client.get("/api/conversations", {"started_before": "soon"}).status_code == 400


def test_a_conversation_detail_runs_a_fixed_number_of_queries(api_client, chatbot, django_assert_num_queries):
    conversation = make_conversation(chatbot, [("user", f"message {i}", []) for i in range(30)])
    api_client.get("/api/usage")
    # Key, conversation, its messages.
    with django_assert_num_queries(3):
        assert api_client.get(f"/api/conversations/{conversation.pk}").status_code == 200
