from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from chatbots.models import Chatbot

from .usage import usage_report


class UsageQuerySerializer(serializers.Serializer):
    chatbot = serializers.CharField(required=False, max_length=32)

    def validate_chatbot(self, value):
        chatbot = Chatbot.objects.for_account(self.context["account"]).filter(pk=value).first()
        if chatbot is None:
            raise serializers.ValidationError("No chatbot with this id in your account.")
        return chatbot


class UsageView(APIView):
    """The plan, the current period, and what the account has used of each limit."""

    def get(self, request):
        account = request.auth.account
        query = UsageQuerySerializer(data=request.query_params, context={"account": account})
        query.is_valid(raise_exception=True)
        return Response(usage_report(account, chatbot=query.validated_data.get("chatbot")))
