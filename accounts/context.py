"""Which account a logged-in person's request is acting for."""

import ipaddress

from django.conf import settings
from django.http import Http404

from observability.requests import set_account

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
        if membership is not None:
            set_account(membership.account_id)  # for the request's log lines
    return request._pivra_membership


def current_membership_or_404(request):
    """For pages that only make sense inside an account."""
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any account.")
    return membership


def client_ip(request):
    """The client's address: the one place every part of Pivra takes it from (key allowlists,
    rate limits, audit events).

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies stand in front of the app, each appending the
    address it saw to X-Forwarded-For: then the entry that many places from the right, the one
    the outermost proxy appended. Entries left of it come from the client and can be forged; a
    header with fewer entries, or a garbled one, did not come through the proxies and is ignored.
    An IPv4-mapped IPv6 address (::ffff:203.0.113.9) is given in its IPv4 form.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            candidate = forwarded[-proxies]
            if _parse(candidate) is not None:
                address = candidate
    parsed = _parse(address)
    if parsed is None:
        return None
    return str(getattr(parsed, "ipv4_mapped", None) or parsed)


def _parse(address):
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None
