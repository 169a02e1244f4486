from django.contrib import admin

from .models import Chatbot, Conversation, Message


@admin.register(Chatbot)
class ChatbotAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "status", "created_at"]
    list_filter = ["status", "lead_capture_enabled"]
    list_select_related = ["account"]
    search_fields = ["name", "id", "account__name"]
    readonly_fields = ["id", "embed_key", "created_at", "updated_at"]
    autocomplete_fields = ["account"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["role", "content", "cited_sources", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "chatbot", "account", "channel", "message_count", "started_at", "last_message_at"]
    list_filter = ["channel"]
    list_select_related = ["chatbot", "account"]
    search_fields = ["id", "visitor_id", "chatbot__name", "account__name"]
    readonly_fields = ["id", "account", "chatbot", "visitor_id", "channel", "started_at", "last_message_at", "message_count"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "conversation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["id", "conversation__id", "content"]
    readonly_fields = ["id", "conversation", "role", "content", "cited_sources", "created_at"]
