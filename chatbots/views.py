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
from api.fields import public_id_or_none
from api.paging import keyset_page
from usage import limits
from usage.report import knowledge_characters_used

from .forms import ChatbotForm, CreateChatbotForm
from .models import Chatbot
from .services import create_chatbot


def managers_change(request, membership):
    """Members see every chatbot page and change nothing: their POSTs are refused here."""
    if request.method == "POST" and not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can change chatbots.")


def account_chatbot_or_404(membership, chatbot_id):
    return get_object_or_404(Chatbot.objects.for_account(membership.account), pk=public_id_or_none(chatbot_id))


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def chatbots_page(request):
    """Chatbots: the account's chatbots with their sources counted (one query), and Create chatbot
    with a name only; the plan's limit is checked by create_chatbot, worded as the API words it."""
    membership = current_membership_or_404(request)
    managers_change(request, membership)
    account = membership.account
    form = CreateChatbotForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            chatbot = create_chatbot(account=account, name=form.cleaned_data["name"])
        except limits.ChatbotLimitReached as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Created {chatbot.name}. Add sources so it has something to answer from.")
            return redirect("chatbot", chatbot.pk)
    chatbots = list(Chatbot.objects.for_account(account).with_knowledge().order_by("-created_at", "-id"))
    context = {
        "chatbots": chatbots,
        "form": form,
        "can_manage": membership.can_manage_keys,
        "plan": account.plan,
    }
    return render(request, "chatbots/chatbots.html", context, status=400 if form.errors else 200)


def render_chatbot_page(request, membership, chatbot, *, form=None, source_forms=None, status=200):
    """The chatbot page: its settings form and its sources, newest first, a page at a time
    (sources/views.py renders it too, with an Add source form's errors). The knowledge figures are
    the whole account's and the whole chatbot's, whichever page is shown."""
    account = membership.account
    # The text can be a megabyte per source: the table needs none of it.
    sources, older_than = keyset_page(chatbot.sources.defer("content"), request.GET.get("older_than"))
    context = {
        "chatbot": chatbot,
        "form": form or ChatbotForm(chatbot=chatbot),
        "source_forms": source_forms or {},
        "sources": sources,
        "older_than": older_than,
        "knowledge": {
            "used": knowledge_characters_used(account),
            "chatbot": knowledge_characters_used(account, chatbot),
            "limit": account.plan.max_knowledge_characters,
            "plan": account.plan.name,
        },
        "can_manage": membership.can_manage_keys,
    }
    return render(request, "chatbots/chatbot.html", context, status=status)


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def chatbot_page(request, chatbot_id):
    membership = current_membership_or_404(request)
    managers_change(request, membership)
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    if request.method != "POST":
        return render_chatbot_page(request, membership, chatbot)
    form = ChatbotForm(request.POST, chatbot=chatbot)
    if not form.is_valid():
        return render_chatbot_page(request, membership, chatbot, form=form, status=400)
    form.save()
    messages.success(request, f"Saved {chatbot.name}.")
    return redirect("chatbot", chatbot.pk)


@csrf_protect
@login_required
@require_http_methods(["POST"])
def set_status(request, chatbot_id):
    """Pause (the widget stops answering) or Resume."""
    membership = current_membership_or_404(request)
    managers_change(request, membership)
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    wanted = request.POST.get("status")
    if wanted not in Chatbot.Status.values:
        return redirect("chatbot", chatbot.pk)
    chatbot.status = wanted
    chatbot.save(update_fields=["status", "updated_at"])
    paused = wanted == Chatbot.Status.PAUSED
    messages.success(request, f"Paused {chatbot.name}: its widget no longer answers." if paused else f"Resumed {chatbot.name}.")
    return redirect("chatbot", chatbot.pk)


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_chatbot(request, chatbot_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can delete chatbots.")
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    if request.method != "POST":
        return render(request, "chatbots/confirm_delete.html", {"chatbot": chatbot})
    chatbot.delete()
    messages.success(request, f"Deleted {chatbot.name} with its sources and conversations. Its leads are kept.")
    return redirect("chatbots")


@login_required
@require_http_methods(["GET", "HEAD"])
def install(request):
    """Install → Embed code: each chatbot's embed key, allowed domains and `<script>` snippet."""
    membership = current_membership_or_404(request)
    script_url = request.build_absolute_uri("/widget.js")  # a static file at the site's root (widget/script.py)
    chatbots = [
        {"chatbot": chatbot, "snippet": f'<script src="{script_url}"\n        data-key="{chatbot.embed_key}"\n        async></script>'}
        for chatbot in Chatbot.objects.for_account(membership.account)
    ]
    return render(
        request, "chatbots/install.html", {"chatbots": chatbots, "can_manage": membership.can_manage_keys}
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def preview(request, chatbot_id):
    """A test page with the chatbot's widget on it, as a visitor of the account's site sees it.
    Every chatbot answers on Pivra's own pages, whatever its allowed domains (widget/authentication.py)."""
    membership = current_membership_or_404(request)
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    return render(request, "chatbots/preview.html", {"chatbot": chatbot})


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
    chatbot = account_chatbot_or_404(membership, chatbot_id)
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
