"""Login throttling (SPEC: "login throttling"), by django-axes with its database handler.

Five failed logins for one email from one address within 15 minutes lock that pair out for 15
minutes: the login page and the admin login answer 429, even to the right password. Only the
pair is locked, so an attacker elsewhere cannot lock a person out of their own account. Failed
password confirmations (accounts.reauth) go through the same `authenticate()` and count too.

Axes is configured in settings (AXES_*; the client address is accounts.context.client_ip);
these are the hooks it calls.
"""

from django.conf import settings
from django.shortcuts import render

def username(request, credentials):
    """The email as axes counts it: lower-cased, as logging in ignores its case, so ALICE@ and
    alice@ share one count."""
    value = (credentials or {}).get("username") or request.POST.get("username") or ""
    return value.strip().lower() or None


def locked_out(request, original_response=None, credentials=None):
    """The 429 page: says to try later, and never whether the email has an account (a locked-out
    unknown email gets the same page)."""
    match = request.resolver_match  # ours and the admin's are both named "login"
    context = {"on_login_page": match is not None and match.url_name in ("login", "login_code"), "minutes": settings.AXES_COOLOFF_TIME.seconds // 60}
    response = render(request, "accounts/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
