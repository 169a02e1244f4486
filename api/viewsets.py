from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from rest_framework import mixins

from chatbots.models import Chatbot, Conversation, Message
from leads.models import Lead
from sources.models import Source

from . import filters, serializers
from .pagination import NewestConversationFirstPagination
from .scoping import AccountScopedViewSet

ID_PATTERN = r"[A-Za-z0-9_]+"


class ChatbotViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin,
):
    model = Chatbot
    serializer_class = serializers.ChatbotSerializer
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.annotate(
            source_count=Count("sources"),
            knowledge_characters=Coalesce(Sum("sources__character_count"), 0),
        )


class SourceViewSet(
    AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    model = Source
    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilter
    lookup_value_regex = ID_PATTERN

    def scope_queryset(self, queryset):
        if self.action == "list":
            return queryset.defer("content")
        return queryset


class LeadViewSet(AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin):
    model = Lead
    serializer_class = serializers.LeadSerializer
    filterset_class = filters.LeadFilter
    lookup_value_regex = ID_PATTERN


class ConversationViewSet(AccountScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    model = Conversation
    filterset_class = filters.ConversationFilter
    pagination_class = NewestConversationFirstPagination
    lookup_value_regex = ID_PATTERN

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ConversationDetailSerializer
        return serializers.ConversationSerializer

    def scope_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset.prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("created_at", "id")))
        return queryset
