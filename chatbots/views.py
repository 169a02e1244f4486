from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.context import client_ip, current_membership_or_404
from accounts.reauth import managers_only
from accounts.models import AuditEvent

from .models import Chatbot


@login_required
@require_http_methods(["GET", "HEAD"])
def install(request):
    """Install → Embed code: each chatbot's embed key, allowed domains and `<script>` snippet."""
    membership = current_membership_or_404(request)
    script_url = request.build_absolute_uri("/widget.js")  # a static file at the site's root (widget/script.py)
    chatbots = [
        {"chatbot": chatbot, "snippet": f'<script src="{script_url}" data-key="{chatbot.embed_key}" async></script>'}
        for chatbot in Chatbot.objects.for_account(membership.account)
    ]
    return render(
        request, "chatbots/install.html", {"chatbots": chatbots, "can_manage": membership.can_manage_keys}
    )


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@managers_only(cancel_to="install", refusal="Only owners and admins can regenerate embed keys.")
def regenerate_embed_key(request, chatbot_id):
    """Asks for confirmation (GET), then gives the chatbot a new embed key (POST): the old one
    stops working at once, so every page with the old snippet must be updated."""
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can regenerate embed keys.")
    chatbot = get_object_or_404(Chatbot.objects.for_account(membership.account), pk=chatbot_id)
    if request.method != "POST":
        return render(request, "chatbots/confirm_regenerate.html", {"chatbot": chatbot})
    old_hint = f"pivra_pk_…{chatbot.embed_key[-4:]}"  # embed keys are public, but a hint is enough
    with transaction.atomic():
        chatbot.regenerate_embed_key()
        AuditEvent.record(
            account=membership.account,
            action=AuditEvent.Action.EMBED_KEY_REGENERATED,
            actor=request.user,
            target_id=chatbot.pk,
            target_description=f"{chatbot.name}: embed key {old_hint}",
            ip_address=client_ip(request),
        )
    messages.success(
        request, f"{chatbot.name} has a new embed key. Update the snippet on your website: the old key no longer works."
    )
    return redirect("install")
