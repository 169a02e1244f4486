from datetime import timedelta

from django.utils import timezone

from accounts.models import Plan
from chatbots.models import Chatbot

from tests.factories import make_conversation, make_text_source, send_visitor_messages
from usage.limits import use_message_credit


def test_usage_reports_the_plan_period_and_every_limit(api_client, account, alice, bob, chatbot):
    make_text_source(chatbot, content="x" * 120)
    send_visitor_messages(chatbot, "Hi", "Bye")
    use_message_credit(account=account, now=timezone.now() - timedelta(days=40))  # last month's
    body = api_client.get("/api/usage").json()
    assert body["plan"] == {"code": "starter", "name": "Starter"}
    limits = body["limits"]
    assert limits["message_credits"]["used"] == 2
    assert limits["message_credits"]["limit"] == 2000
    assert limits["message_credits"]["resets_at"] == body["period"]["end"]
    assert limits["chatbots"] == {"used": 1, "limit": 3}
    assert limits["knowledge_characters"] == {"used": 120, "limit": 5_000_000}
    assert limits["team_members"] == {"used": 2, "limit": 3}
    assert limits["api_requests_per_minute"]["limit"] == 120
    assert limits["api_requests_per_minute"]["used"] >= 1
    assert body["period"]["start"] < body["period"]["end"]


def test_usage_counts_this_minutes_api_requests(api_client, fresh_minute):
    first = api_client.get("/api/usage").json()["limits"]["api_requests_per_minute"]["used"]
    api_client.get("/api/leads")
    second = api_client.get("/api/usage").json()["limits"]["api_requests_per_minute"]["used"]
    assert second == first + 2


def test_usage_can_be_broken_down_for_one_chatbot(api_client, account, chatbot):
    sales = Chatbot.objects.create(account=account, name="Sales")
    make_text_source(chatbot, content="x" * 10)
    make_text_source(sales, content="y" * 99)
    make_conversation(sales, [("user", "Price?", [])])
    body = api_client.get("/api/usage", {"chatbot": sales.pk}).json()
    assert body["chatbot"] == {"id": sales.pk, "name": "Sales"}
    assert body["limits"]["knowledge_characters"]["used"] == 99
    assert body["limits"]["message_credits"]["used"] == 1
    assert body["limits"]["sources"]["used"] == 1


def test_an_unknown_chatbot_in_usage_is_a_400(api_client):
    response = api_client.get("/api/usage", {"chatbot": "bot_missing"})
    assert response.status_code == 400
    assert "chatbot" in response.json()


def test_going_over_the_plans_requests_a_minute_is_a_429_with_retry_after(api_client, account, fresh_minute):
    plan = Plan.objects.get(code="starter")
    plan.api_requests_per_minute = 3
    plan.save()
    statuses = [api_client.get("/api/leads").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api_client.get("/api/leads")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited"
    assert "Starter plan allows 3 API requests a minute" in response.json()["detail"]
