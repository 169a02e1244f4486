"""The account's usage in the REST API: /api/usage."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import AccountOwnedRelatedField

from .report import usage_report


class PlanSummarySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`free`, `starter`, `growth` or `business`.")
    name = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The first instant of this calendar month (UTC).")
    end = serializers.DateTimeField(help_text="The first instant of next month: monthly limits reset then.")


class ChatbotSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class LimitSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text="What the plan allows; null means no limit.")


class ResettingLimitSerializer(LimitSerializer):
    resets_at = serializers.DateTimeField(help_text="When `used` starts again from 0.")


class UsageLimitsSerializer(serializers.Serializer):
    message_credits = ResettingLimitSerializer(help_text="Visitors' messages this month.")
    knowledge_characters = LimitSerializer(help_text="Characters in knowledge sources.")
    chatbots = LimitSerializer(required=False, help_text="Account-wide report only.")
    team_members = LimitSerializer(required=False, help_text="Account-wide report only.")
    api_requests_per_minute = ResettingLimitSerializer(
        required=False, help_text="This minute's API requests, all keys together. Account-wide report only."
    )
    sources = LimitSerializer(required=False, help_text="With `?chatbot=` only: the chatbot's sources (no limit).")


# The shape of usage.report.usage_report(); UsageView renders the report through it.
class UsageSerializer(serializers.Serializer):
    plan = PlanSummarySerializer()
    period = PeriodSerializer(help_text="The calendar month that monthly limits count in.")
    chatbot = ChatbotSummarySerializer(required=False, help_text="With `?chatbot=` only: the chatbot reported on.")
    limits = UsageLimitsSerializer()


class UsageQuerySerializer(serializers.Serializer):
    chatbot = AccountOwnedRelatedField(
        "chatbots", required=False,
        help_text="A chatbot id: report that chatbot's messages, knowledge characters and sources only.",
    )


USAGE_EXAMPLE = {
    "plan": {"code": "starter", "name": "Starter"},
    "period": {"start": "2026-05-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"},
    "limits": {
        "message_credits": {"used": 412, "limit": 2000, "resets_at": "2026-06-01T00:00:00Z"},
        "knowledge_characters": {"used": 183204, "limit": 5000000},
        "chatbots": {"used": 2, "limit": 3},
        "team_members": {"used": 2, "limit": 3},
        "api_requests_per_minute": {"used": 7, "limit": 120, "resets_at": "2026-05-14T09:31:00Z"},
    },
}


class UsageView(APIView):
    """The plan, the current period, and what the account has used of each limit."""

    api_resource = "usage"

    @extend_schema(
        operation_id="usage_retrieve",
        summary="What the account has used of its plan",
        description=(
            "The plan, the current calendar month (UTC), and for each limit what is `used` and the "
            "`limit`; monthly limits and the per-minute request allowance say when they reset. "
            "Message credits count visitors' messages; over the limit the chatbot tells visitors "
            "politely that it cannot answer. With `?chatbot=`, the report covers that chatbot only."
        ),
        parameters=[UsageQuerySerializer],
        responses=UsageSerializer,
        examples=[
            OpenApiExample("Account-wide", value=USAGE_EXAMPLE, response_only=True),
            OpenApiExample("One chatbot", response_only=True, value={
                "plan": USAGE_EXAMPLE["plan"],
                "period": USAGE_EXAMPLE["period"],
                "chatbot": {"id": "bot_4Fh2kQ9LmN3pR7sT1vWx", "name": "Support bot"},
                "limits": {
                    "message_credits": {"used": 301, "limit": 2000, "resets_at": "2026-06-01T00:00:00Z"},
                    "knowledge_characters": {"used": 120877, "limit": 5000000},
                    "sources": {"used": 14, "limit": None},
                },
            }),
        ],
    )
    def get(self, request):
        account = request.auth.account
        query = UsageQuerySerializer(data=request.query_params, context={"account": account})
        query.is_valid(raise_exception=True)
        # Rendered through its serializer, so the response is exactly what the schema documents.
        return Response(UsageSerializer(usage_report(account, chatbot=query.validated_data.get("chatbot"))).data)
