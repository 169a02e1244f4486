"""Leads in the browser: the account's leads, newest first, searched and filtered, exported as
CSV (every matching lead, streamed), and deleted one by one."""

import csv
from datetime import datetime, timezone as dt_timezone

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.context import current_membership_or_404
from api.fields import public_id_or_none
from api.paging import keyset_page, on_dates
from chatbots.models import Chatbot

from .api import delete_lead
from .models import Lead

CSV_COLUMNS = ["id", "name", "email", "phone", "chatbot", "created_at"]
# A spreadsheet runs a cell that starts with one of these as a formula: a visitor's "name" must not.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def matching_leads(account, params):
    """The account's leads that the page's search and filters (GET parameters) select, newest first."""
    leads = Lead.objects.for_account(account).select_related("chatbot")
    if query := params.get("q", "").replace("\x00", "").strip()[:200]:  # PostgreSQL text holds no NUL
        leads = leads.filter(Q(email__icontains=query) | Q(name__icontains=query))
    if chatbot_id := public_id_or_none(params.get("chatbot")):
        leads = leads.filter(chatbot_id=chatbot_id)
    leads = on_dates(leads, "created_at", params.get("from"), params.get("to"))
    return leads.order_by("-created_at", "-id")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def leads_page(request):
    membership = current_membership_or_404(request)
    account = membership.account
    leads, older_than = keyset_page(matching_leads(account, request.GET), request.GET.get("older_than"))
    context = {
        "leads": leads,
        "older_than": older_than,
        "chatbots": Chatbot.objects.for_account(account).order_by("name"),
        "filters": {name: request.GET.get(name, "") for name in ("q", "chatbot", "from", "to")},
        "can_delete": membership.can_manage_keys,
    }
    return render(request, "leads/leads.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def export_csv(request):
    """Every lead the filters select, as CSV, streamed row by row: a million leads never sit in
    memory, and the download starts at once."""
    account = current_membership_or_404(request).account
    rows = matching_leads(account, request.GET).values_list("id", "name", "email", "phone", "chatbot__name", "created_at")
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([_cell(value) for value in row])

    filename = f"leads-{timezone.now():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value):
        return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request, lead_id):
    membership = current_membership_or_404(request)
    if not membership.can_manage_keys:
        raise PermissionDenied("Only owners and admins can delete leads.")
    lead = get_object_or_404(Lead.objects.for_account(membership.account), pk=public_id_or_none(lead_id))
    if request.method != "POST":
        return render(request, "leads/confirm_delete.html", {"lead": lead})
    delete_lead(lead)
    messages.success(request, f"Deleted the lead {lead}.")
    return redirect("leads")
