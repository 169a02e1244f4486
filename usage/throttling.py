from rest_framework.throttling import BaseThrottle

from . import ratelimit


class PlanRateThrottle(BaseThrottle):
    """API requests a minute per account, as its plan allows. DRF runs throttles after
    authentication and permissions, so only valid keys with API access are counted."""

    def allow_request(self, request, view):
        account = getattr(request.auth, "account", None)  # the API key's
        if account is None:
            return True
        limit = account.plan.api_requests_per_minute
        if not limit:
            return True
        count = ratelimit.hit(ratelimit.api_requests(account.pk))
        return count is None or count <= limit

    def wait(self):
        return ratelimit.seconds_until_next_window()
