from django.contrib import admin

from .models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "phone", "chatbot", "account", "created_at"]
    list_select_related = ["chatbot", "account"]
    list_filter = ["created_at"]
    search_fields = ["id", "email", "name", "phone", "account__name"]
    readonly_fields = ["id", "account", "chatbot", "conversation", "created_at", "updated_at"]
