from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from . import two_factor
from .models import Account, AuditEvent, Membership, Plan, User


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login asks for no code: staff with two-factor authentication on log in on
    Pivra's login page (password, then Code), and the admin then knows them."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if two_factor.is_on(user):
            raise ValidationError(
                "This account uses two-factor authentication: log in on the Pivra login page, then come back.",
                code="two_factor",
            )


admin.site.login_form = AdminLoginForm


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name", "code", "monthly_message_credits", "max_chatbots", "max_knowledge_characters",
        "max_members", "api_requests_per_minute", "api_keys_allowed",
    ]
    ordering = ["position"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "plan", "created_at"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["name", "id", "memberships__user__email"]
    readonly_fields = ["id", "created_at"]
    fields = ["id", "name", "plan", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "account"]
    search_fields = ["user__email", "account__name"]
    autocomplete_fields = ["user", "account"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "action", "target_description", "actor_email", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["account"]
    search_fields = ["account__name", "target_description", "actor_email"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
