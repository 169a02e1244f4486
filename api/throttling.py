from rest_framework.throttling import BaseThrottle

from apikeys.models import ApiKey

from . import ratelimit


class PlanRateThrottle(BaseThrottle):
    """API requests a minute per account, as its plan allows. With Redis, the count usually comes
    with the key's cache lookup (api.authentication, whose `_is_counted` mirrors the checks here)."""

    def allow_request(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        limit = api_key.account.plan.api_requests_per_minute
        if not limit:
            return True
        counted = getattr(request.successful_authenticator, "requests_counted", None)
        if counted is None:
            counted = ratelimit.count_request(api_key.account_id)
        return counted <= limit

    def wait(self):
        return ratelimit.seconds_until_next_window()
