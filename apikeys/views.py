import re
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from accounts import two_factor
from accounts.context import client_ip, current_membership_or_404
from accounts.models import AuditEvent, Plan
from accounts.reauth import managers_only
from api.paging import keyset_page

from .forms import CreateApiKeyForm, KeySettingsForm, RollApiKeyForm
from .models import ApiKey, RollRefused

RECENT_EVENTS = 20
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
ALREADY_SENT = (
    "That form was sent again, so nothing new was made: its key is listed below. A key is shown only "
    "once: if you did not copy it, roll it or create another."
)

# Showing a new key answers a POST, yet Reload and Back → Forward must not send that POST again.
# Two parts, both plain: static/js/no-resubmit.js turns the page's history entry into a GET of
# Settings → Security (history.replaceState), and every Create and Roll form carries a one-time
# token (form_token), stored on the key it made, so a form sent twice anyway (no JavaScript, a
# double click) finds that key and answers with the page instead of a second key or an error.


def _new_form_token():
    return secrets.token_urlsafe(16)


def _form_token(request):
    token = request.POST.get("form_token", "")
    return token if FORM_TOKEN.fullmatch(token) else None


def _already_sent(account, token):
    """Whether a key was already made by the form with this token."""
    return token is not None and ApiKey.objects.for_account(account).filter(form_token=token).exists()


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303  # the browser follows with a GET, and that GET is what Reload repeats


def _sent_again(request):
    messages.info(request, ALREADY_SENT)
    return HttpResponseSeeOther(reverse("security"))


def _with_param(request, name, value):
    """This page's URL with `name` set to `value`: each table pages on without moving the other."""
    query = request.GET.copy()
    query[name] = value
    return f"{reverse('security')}?{query.urlencode()}"


def _render_security(request, membership, form, new_key=None, status=200):
    account = membership.account
    keys = ApiKey.objects.for_account(account).select_related("created_by", "replaced_by")
    # Revoked keys are listed apart, below the keys that work, each list paged on its own.
    api_keys, older_than = keyset_page(keys.active(), request.GET.get("older_than"))
    revoked_keys, revoked_older_than = keyset_page(
        keys.filter(revoked_at__isnull=False), request.GET.get("revoked_older_than")
    )
    context = {
        "form": form,
        "form_token": _new_form_token(),
        "new_key": new_key,
        "can_manage": membership.can_manage_keys,
        "plan_allows_keys": account.plan.api_keys_allowed,
        # What the Free plan is told to upgrade to: the first plan with API keys.
        "keys_plan": None if account.plan.api_keys_allowed else Plan.objects.filter(api_keys_allowed=True).first(),
        "api_keys": api_keys,
        "older_keys_url": older_than and _with_param(request, "older_than", older_than),
        "revoked_keys": revoked_keys,
        "older_revoked_keys_url": revoked_older_than and _with_param(request, "revoked_older_than", revoked_older_than),
        "audit_events": AuditEvent.objects.for_account(account)[:RECENT_EVENTS],
        "two_factor_on": two_factor.is_on(request.user),
    }
    return render(request, "apikeys/security.html", context, status=status)


# Frames below (rendering the page that shows the key) must not show it in an error report.
@sensitive_variables("raw_key", "new_key", "context")
@sensitive_post_parameters()
@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@managers_only(cancel_to="security", refusal="Only owners and admins can manage API keys.")
def security(request):
    membership = current_membership_or_404(request)
    account = membership.account
    if request.method != "POST":
        return _render_security(request, membership, CreateApiKeyForm(account=account))

    token = _form_token(request)
    if _already_sent(account, token):
        return _sent_again(request)
    form = CreateApiKeyForm(request.POST, account=account)
    if not account.plan.api_keys_allowed:
        form.add_error(None, f"API keys need the Starter plan or above; this account is on {account.plan.name}.")
        return _render_security(request, membership, form, status=403)
    if not form.is_valid():
        if _already_sent(account, token):  # sent twice at once: the other send made the key meanwhile
            return _sent_again(request)
        return _render_security(request, membership, form, status=400)
    try:
        api_key, raw_key = ApiKey.objects.create_key(
            account=account,
            label=form.cleaned_data["label"],
            created_by=request.user,
            ip_address=client_ip(request),
            expires_at=form.cleaned_data["expires_at"],
            form_token=token,
            **form.key_settings(),
        )
    except IntegrityError:  # a concurrent request: the same form sent twice, or another with the same label
        if _already_sent(account, token):
            return _sent_again(request)
        form.add_error("label", "An active key already has this label. Choose another label.")
        return _render_security(request, membership, form, status=400)
    # The key is shown in this response only: never in a redirect, the session or a message.
    return _render_security(
        request, membership, CreateApiKeyForm(account=account), new_key={"api_key": api_key, "raw": raw_key, "replaces": None}
    )


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@managers_only(cancel_to="security", refusal="Only owners and admins can manage API keys.")
def revoke(request, key_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can revoke API keys.")
    api_key = get_object_or_404(ApiKey.objects.for_account(membership.account), pk=key_id)
    if request.method == "POST":
        if api_key.revoke(by=request.user, ip_address=client_ip(request)):
            messages.success(request, f"Revoked {api_key.label}. Requests with it are refused from now on.")
        return redirect("security")
    return render(request, "apikeys/confirm_revoke.html", {"api_key": api_key})


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@managers_only(cancel_to="security", refusal="Only owners and admins can manage API keys.")
def edit(request, key_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can change API keys.")
    api_key = get_object_or_404(ApiKey.objects.for_account(membership.account).active(), pk=key_id)
    form = KeySettingsForm.for_key(api_key, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            api_key.change_settings(by=request.user, ip_address=client_ip(request), **form.key_settings())
            messages.success(request, f"Saved {api_key.label}'s settings. They apply to its next request.")
            return redirect("security")
        return render(request, "apikeys/edit_key.html", {"api_key": api_key, "form": form}, status=400)
    return render(request, "apikeys/edit_key.html", {"api_key": api_key, "form": form})


# Frames below (rendering the page that shows the new key) must not show it in an error report.
@sensitive_variables("raw_key", "new_key")
@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@managers_only(cancel_to="security", refusal="Only owners and admins can manage API keys.")
def roll(request, key_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can roll API keys.")
    api_key = get_object_or_404(ApiKey.objects.for_account(membership.account), pk=key_id)
    token = _form_token(request) if request.method == "POST" else None
    if _already_sent(membership.account, token):
        return _sent_again(request)
    form = RollApiKeyForm(request.POST if request.method == "POST" else None)

    def page(status):
        context = {"api_key": api_key, "form": form, "form_token": _new_form_token()}
        return render(request, "apikeys/roll_key.html", context, status=status)

    if request.method != "POST" or not form.is_valid():
        return page(200 if request.method != "POST" else 400)
    if not membership.account.plan.api_keys_allowed:
        form.add_error(None, "API keys need the Starter plan or above.")
        return page(403)
    try:
        new_key, raw_key = api_key.roll(
            stops_in=form.cleaned_data["stops_in"], by=request.user, ip_address=client_ip(request), form_token=token
        )
    except RollRefused as refusal:
        if _already_sent(membership.account, token):  # a double click: the first send rolled it
            return _sent_again(request)
        form.add_error(None, str(refusal))
        return page(409)
    # As after Create: the new key is shown in this response only.
    return _render_security(
        request, membership, CreateApiKeyForm(account=membership.account),
        new_key={"api_key": new_key, "raw": raw_key, "replaces": api_key},
    )
