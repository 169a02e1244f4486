"""Which account a logged-in person's request is acting for."""

from .models import Membership


def current_membership(request):
    """The request user's membership (their first account), cached on the request; None if none."""
    if not hasattr(request, "_pivra_membership"):
        membership = None
        if request.user.is_authenticated:
            membership = (
                Membership.objects.select_related("account__plan")
                .filter(user=request.user)
                .order_by("created_at")
                .first()
            )
        request._pivra_membership = membership
    return request._pivra_membership


def current_account(request):
    membership = current_membership(request)
    return membership.account if membership else None


def client_ip(request):
    """The client's address: REMOTE_ADDR, which the proxy in front is expected to set."""
    return request.META.get("REMOTE_ADDR") or None
