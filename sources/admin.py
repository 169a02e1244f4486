from django.contrib import admin
from django.db import models

from jobs.queue import defer

from .models import Source
from .tasks import fetch_source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "type", "status", "character_count", "chatbot", "account", "created_at"]
    list_filter = ["type", "status"]
    list_select_related = ["chatbot", "account"]
    search_fields = ["id", "title", "url", "chatbot__name", "account__name"]
    readonly_fields = ["id", "account", "character_count", "created_at", "updated_at", "processing_started_at"]
    autocomplete_fields = ["chatbot"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        obj.account = obj.chatbot.account
        if obj.type == Source.Type.URL and "url" in form.changed_data:
            obj.status = Source.Status.PENDING
        super().save_model(request, obj, form, change)
        # A URL source saved pending (new, its address changed, or set back to pending by staff
        # to fetch it again) gets its job, in the admin's transaction.
        if obj.type == Source.Type.URL and obj.status == Source.Status.PENDING:
            defer(fetch_source, source_id=obj.pk)
