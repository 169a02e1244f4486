from django.views.generic import TemplateView
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Plan
from chatbots.models import Chatbot

from .fields import AccountOwnedRelatedField
from .serializers import UsageSerializer
from .usage import usage_report


class UsageQuerySerializer(serializers.Serializer):
    chatbot = AccountOwnedRelatedField(
        Chatbot, required=False,
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


class ApiReferenceView(SpectacularSwaggerView):
    """Swagger UI for /api/schema/, its files served by the app (drf-spectacular-sidecar). Public."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def perform_authentication(self, request):
        # API requests have no user (UNAUTHENTICATED_USER is None), but this page is rendered by
        # Django's template engine, whose context processors expect the session's user.
        request.user, request.auth = request._request.user, None


class GettingStartedView(TemplateView):
    """The human-written introduction to the API, public like the reference it links to."""

    template_name = "docs/getting_started.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_root"] = self.request.build_absolute_uri("/api")
        context["api_plans"] = Plan.objects.filter(api_keys_allowed=True)
        context["free_plans"] = Plan.objects.filter(api_keys_allowed=False)
        return context

