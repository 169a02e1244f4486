from rest_framework import exceptions, permissions

from .models import ApiKey


class HasApiAccess(permissions.BasePermission):
    """A valid secret key whose account's plan includes API access."""

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        plan = api_key.account.plan
        if not plan.api_keys_allowed:
            raise exceptions.PermissionDenied(plan_not_allowed_detail(plan.name), code="plan_not_allowed")
        return True


def plan_not_allowed_detail(plan_name):
    return f"API access is not included in the {plan_name} plan. Upgrade to Starter or above to use API keys."
