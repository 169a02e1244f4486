"""Concurrent chat requests never use more message credits than the plan has (PostgreSQL)."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Plan
from chatbots.models import Message
from tests.usage.test_concurrency import all_at_once, no_rate_limit_left_over  # noqa: F401 (fixture)
from usage.models import MonthlyUsage

REQUESTS = 8

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL; set DATABASE_URL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_chat_requests_never_pass_the_message_credits(account, raw_key, chatbot, knowledge, model_server):
    plan = Plan.objects.get(code=account.plan_id)
    plan.monthly_message_credits = 3
    plan.save()
    model_server.reply = "About a week [1]."

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        response = client.post(
            f"/api/chatbots/{chatbot.pk}/chat", {"message": "How long does delivery to Canada take?"}, format="json"
        )
        return response.status_code

    statuses = all_at_once(*[send] * REQUESTS)
    assert sorted(statuses) == [200] * 3 + [402] * (REQUESTS - 3)
    assert MonthlyUsage.objects.get(account=account).messages == 3
    assert Message.objects.filter(role="user").count() == 3
    assert len(model_server.requests) == 3
