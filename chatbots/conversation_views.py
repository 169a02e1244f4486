"""Conversations in the browser: the account's conversations newest first, filtered by chatbot
and dates, and each one's transcript with the sources its answers cited and the lead it gave."""

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.context import current_membership_or_404
from api.fields import public_id_or_none
from api.paging import keyset_page, on_dates

from .models import Chatbot, Conversation, Message


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def conversations_page(request):
    account = current_membership_or_404(request).account
    first_question = (
        Message.objects.filter(conversation=OuterRef("pk"), role=Message.Role.USER).order_by("created_at", "id").values("content")[:1]
    )
    conversations = (
        Conversation.objects.for_account(account)
        .select_related("chatbot")
        # What tells one conversation from another, in the table and in its link's name.
        .annotate(first_question=Substr(Subquery(first_question), 1, 80))
        .prefetch_related("leads")  # by the reverse relation: chatbots must not import the leads app above it
        .order_by("-started_at", "-id")
    )
    filters = {name: request.GET.get(name, "") for name in ("chatbot", "from", "to")}
    if chatbot_id := public_id_or_none(filters["chatbot"]):
        conversations = conversations.filter(chatbot_id=chatbot_id)
    conversations = on_dates(conversations, "started_at", filters["from"], filters["to"])
    conversations, older_than = keyset_page(conversations, request.GET.get("older_than"), by="started_at")
    context = {
        "conversations": conversations,
        "older_than": older_than,
        "chatbots": Chatbot.objects.for_account(account).order_by("name"),
        "filters": filters,
    }
    return render(request, "chatbots/conversations.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def conversation_page(request, conversation_id):
    account = current_membership_or_404(request).account
    conversation = (
        Conversation.objects.for_account(account).select_related("chatbot").filter(pk=public_id_or_none(conversation_id)).first()
    )
    if conversation is None:
        raise Http404("No such conversation in your account.")
    context = {
        "conversation": conversation,
        "messages_": conversation.messages.order_by("created_at", "id"),
        "lead": conversation.leads.order_by("created_at").first(),  # the reverse relation: leads sit above chatbots
    }
    return render(request, "chatbots/conversation.html", context)
