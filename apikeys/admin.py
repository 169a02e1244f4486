from django.contrib import admin, messages

from accounts.context import client_ip

from .models import ApiKey


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["label", "account", "hint", "access", "created_at", "created_by", "last_used_at", "expires_at", "status"]
    list_filter = [StatusFilter]
    list_select_related = ["account", "created_by"]
    search_fields = ["label", "account__name", "account__id"]
    # Never the hash: staff see what the owner sees.
    fields = [
        "id", "account", "label", "hint", "access", "resource_levels", "allowed_ips", "requests_per_minute",
        "created_by", "created_at", "last_used_at", "expires_at", "revoked_at", "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke_keys"]

    @admin.display(description="Status")
    def status(self, obj):
        if not obj.is_active:
            return "Revoked"
        return "Expired" if obj.is_expired() else "Active"

    def has_add_permission(self, request):
        return False  # keys are created by account owners, who must see the key once

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so the audit trail stays whole

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_revoke_permission(self, request):
        return request.user.has_perm("apikeys.change_apikey")

    @admin.action(description="Revoke selected API keys", permissions=["revoke"])
    def revoke_keys(self, request, queryset):
        revoked = sum(key.revoke(by=request.user, ip_address=client_ip(request)) for key in queryset.active())
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)
