"""A chatbot's sources in the browser: Add source (Text, Q&A, URL) and delete, on the chatbot
page that chatbots/views.py renders, and the status of its sources as JSON for that page's
script (static/js/source-status.js), which shows a URL source turning ready without a reload."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.context import current_membership_or_404
from api.fields import public_id_or_none
from api.paging import PAGE_SIZE
from chatbots.views import account_chatbot_or_404, render_chatbot_page

from .forms import SOURCE_FORMS
from .models import Source


@csrf_protect
@login_required
@require_http_methods(["POST"])
def add_source(request, chatbot_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can add sources.")
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    form_class = SOURCE_FORMS.get(request.POST.get("type"))
    if form_class is None:
        return redirect("chatbot", chatbot.pk)
    form = form_class(request.POST, account=membership.account, chatbot=chatbot)
    source = form.save() if form.is_valid() else None
    if source is None:
        return render_chatbot_page(request, membership, chatbot, source_forms={form.type: form}, status=400)
    if source.status == Source.Status.FAILED:
        messages.error(request, f"Could not add {source}: {source.error}")
    elif source.status == Source.Status.READY:
        messages.success(request, f"Added {source}: {chatbot.name} answers from it now.")
    else:
        messages.success(request, f"Added {source}: the page is being fetched.")
    return redirect("chatbot", chatbot.pk)


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_source(request, chatbot_id, source_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can delete sources.")
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    source = get_object_or_404(Source.objects.for_account(membership.account).filter(chatbot=chatbot).defer("content"), pk=public_id_or_none(source_id))
    if request.method != "POST":
        return render(request, "sources/confirm_delete.html", {"chatbot": chatbot, "source": source})
    source.delete()
    messages.success(request, f"Deleted the source {source}: {chatbot.name} no longer answers from it.")
    return redirect("chatbot", chatbot.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def source_status(request, chatbot_id):
    """The status of the sources `?id=` names (at most a page's worth; without any, the newest
    page's), with what the table shows of it. Members may read it: the page shows them the same."""
    membership = current_membership_or_404(request)
    chatbot = account_chatbot_or_404(membership, chatbot_id)
    sources = Source.objects.for_account(membership.account).filter(chatbot=chatbot)
    if ids := request.GET.getlist("id")[:PAGE_SIZE]:
        sources = sources.filter(pk__in=[source_id for source_id in map(public_id_or_none, ids) if source_id])
    sources = sources.only("id", "title", "url", "status", "error", "character_count", "created_at")
    response = JsonResponse({"sources": [
        {
            "id": source.pk,
            "name": str(source),
            "status": source.status,
            "status_display": source.get_status_display(),
            "error": source.error,
            "characters": source.character_count,
        }
        for source in sources.order_by("-created_at", "-id")[:PAGE_SIZE]
    ]})
    # Polled every two seconds: every answer must be fresh, and none is worth keeping.
    response["Cache-Control"] = "no-store"
    return response
