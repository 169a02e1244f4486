"""Which account a logged-in person's request is acting for."""

import ipaddress

from django.conf import settings
from django.http import Http404

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


def current_membership_or_404(request):
    """For pages that only make sense inside an account."""
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any account.")
    return membership


def client_ip(request):
    """The client's address, for audit events.

    REMOTE_ADDR, or behind a trusted proxy (`USE_X_FORWARDED_FOR`) the last X-Forwarded-For
    entry: the one that proxy appended. Earlier entries come from the client and can be forged.
    """
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or None
