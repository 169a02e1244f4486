from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from accounts import two_factor
from accounts.context import client_ip, current_membership_or_404
from accounts.models import AuditEvent
from accounts.reauth import managers_only

from .forms import CreateApiKeyForm, KeySettingsForm, RollApiKeyForm
from .models import ApiKey, RollRefused

RECENT_EVENTS = 20


def _render_security(request, membership, form, new_key=None, status=200):
    account = membership.account
    context = {
        "form": form,
        "new_key": new_key,
        "can_manage": membership.can_manage_keys,
        "plan_allows_keys": account.plan.api_keys_allowed,
        "api_keys": ApiKey.objects.for_account(account).select_related("created_by", "replaced_by"),
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

    form = CreateApiKeyForm(request.POST, account=account)
    if not account.plan.api_keys_allowed:
        form.add_error(None, f"API keys need the Starter plan or above; this account is on {account.plan.name}.")
        return _render_security(request, membership, form, status=403)
    if not form.is_valid():
        return _render_security(request, membership, form, status=400)
    try:
        api_key, raw_key = ApiKey.objects.create_key(
            account=account,
            label=form.cleaned_data["label"],
            created_by=request.user,
            ip_address=client_ip(request),
            expires_at=form.cleaned_data["expires_at"],
            **form.key_settings(),
        )
    except IntegrityError:  # a concurrent request took the same label
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
    form = RollApiKeyForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "apikeys/roll_key.html", {"api_key": api_key, "form": form}, status=200 if request.method != "POST" else 400)
    if not membership.account.plan.api_keys_allowed:
        form.add_error(None, "API keys need the Starter plan or above.")
        return render(request, "apikeys/roll_key.html", {"api_key": api_key, "form": form}, status=403)
    try:
        new_key, raw_key = api_key.roll(
            stops_in=form.cleaned_data["stops_in"], by=request.user, ip_address=client_ip(request)
        )
    except RollRefused as refusal:
        form.add_error(None, str(refusal))
        return render(request, "apikeys/roll_key.html", {"api_key": api_key, "form": form}, status=409)
    # As after Create: the new key is shown in this response only.
    return _render_security(
        request, membership, CreateApiKeyForm(account=membership.account),
        new_key={"api_key": new_key, "raw": raw_key, "replaces": api_key},
    )
