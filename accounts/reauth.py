"""Re-authentication before security-sensitive management actions (SPEC: "re-authentication").

The first key, webhook or embed-key management action of a login session, and any such action
two hours after the previous one, first shows *Confirm your password*; the right password then
carries the action out as it was asked for. So a session cookie left in a shared browser, or
stolen, cannot on its own point the account's leads at someone else's webhook. Logging in does
not count as confirming.

The time of the last confirmed action is kept in the session: it is not a secret, and the
session is server-side state every worker shares. The password is checked by `authenticate()`,
so wrong ones count toward the login throttling of that email and address (accounts.throttling):
a stolen session is no way to guess the password, and no way round the login's limit.
"""

from datetime import timedelta
from functools import wraps

from axes.utils import reset as reset_failed_logins
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters

from .context import client_ip, current_membership_or_404

SESSION_KEY = "pivra_sensitive_action_at"
WINDOW = timedelta(hours=2)
PASSWORD_FIELD = "confirm_password"
WRONG_PASSWORD = "That password is not right. Nothing was changed."


def requires_recent_password(*, cancel_to):
    """For a view whose POST is a sensitive management action: ask for the password first unless
    the session confirmed it, or made such an action, within WINDOW. `cancel_to`: the URL name
    the page's Cancel link leads to."""
    return lambda view: _guarded(view, cancel_to)


def managers_only(*, cancel_to, refusal):
    """For a view whose POST manages the account's keys or webhooks: a member's POST gets 403
    (`refusal`) before anything else, the password confirmation included; an owner's or an
    admin's is then `requires_recent_password(cancel_to=…)`. GETs go through."""

    def decorate(view):
        confirmed = requires_recent_password(cancel_to=cancel_to)(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST" and not current_membership_or_404(request).can_manage_keys:
                raise PermissionDenied(refusal)
            return confirmed(request, *args, **kwargs)

        return wrapped

    return decorate


def _guarded(view, cancel_to):
    @wraps(view)
    @sensitive_post_parameters(PASSWORD_FIELD)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        error, status = None, 200
        if PASSWORD_FIELD in request.POST:
            # Locked out (too many failures), axes refuses before checking, and its middleware
            # answers 429 instead of this page.
            user = authenticate(request, username=request.user.email, password=request.POST[PASSWORD_FIELD])
            if user is not None and user.pk == request.user.pk:
                reset_failed_logins(ip=client_ip(request), username=request.user.email.lower())
                request.POST = _without(request.POST, PASSWORD_FIELD)
                return _carry_on(view, request, *args, **kwargs)
            error, status = WRONG_PASSWORD, 400
        elif _is_recent(request):
            return _carry_on(view, request, *args, **kwargs)
        # The action's own fields travel along as hidden inputs, so confirming carries it out.
        fields = [
            (name, value) for name, values in request.POST.lists() if name not in ("csrfmiddlewaretoken", PASSWORD_FIELD)
            for value in values
        ]
        context = {"fields": fields, "error": error, "password_field": PASSWORD_FIELD, "cancel_url": reverse(cancel_to)}
        return render(request, "accounts/confirm_password.html", context, status=status)

    return wrapped


def _carry_on(view, request, *args, **kwargs):
    request.session[SESSION_KEY] = timezone.now().timestamp()
    return view(request, *args, **kwargs)


def _is_recent(request):
    last = request.session.get(SESSION_KEY)
    return isinstance(last, (int, float)) and timezone.now().timestamp() - last < WINDOW.total_seconds()


def _without(query_dict, name):
    remaining = query_dict.copy()
    remaining.pop(name, None)
    return remaining
