"""Usage in the browser: each of the plan's limits, used against allowed, and when it resets."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.context import current_membership_or_404

from .report import usage_report

# The order and words of the page: the report's keys are the API's.
LIMITS = [
    ("message_credits", "Message credits", "visitors' messages this month"),
    ("knowledge_characters", "Knowledge", "characters in all sources"),
    ("chatbots", "Chatbots", "chatbots"),
    ("team_members", "Team members", "people in the account"),
    ("api_requests_per_minute", "API requests", "this minute"),
]


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def usage_page(request):
    account = current_membership_or_404(request).account
    report = usage_report(account)
    rows = []
    for key, title, unit in LIMITS:
        limit = report["limits"][key]
        rows.append({
            "title": title, "unit": unit, "used": limit["used"], "limit": limit["limit"],
            "resets_at": limit.get("resets_at"), "full": bool(limit["limit"]) and limit["used"] >= limit["limit"],
        })
    return render(request, "usage/usage.html", {"report": report, "rows": rows})
