"""Settings → Webhooks: owners and admins add endpoints, see each one's secret once, and follow
and resend its deliveries."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from accounts.context import current_membership_or_404
from accounts.reauth import requires_recent_password

from . import events
from .forms import EndpointForm
from .models import EVENT_TYPES, Delivery, DeliveryAttempt, EndpointLimitReached, WebhookEndpoint

RECENT_ATTEMPTS = 20


def management_view(*methods):
    """Every page and action of Settings → Webhooks: logged in, uncached, CSRF-checked, only
    `methods`; then for owners and admins only (a member gets 403 before anything else, the
    password confirmation included), and a POST only once the password was confirmed
    (accounts.reauth). The view is called as `view(request, account, …)`."""

    def decorate(view):
        confirmed = requires_recent_password(cancel_to="webhooks")(view)

        @wraps(view)
        def managers_only(request, *args, **kwargs):
            membership = current_membership_or_404(request)
            if not membership.can_manage_keys:  # owners and admins, as for API keys
                raise PermissionDenied("Only owners and admins can manage webhooks.")
            return confirmed(request, membership.account, *args, **kwargs)

        return never_cache(csrf_protect(login_required(require_http_methods(methods)(managers_only))))

    return decorate


def _endpoint(account, endpoint_id):
    """The account's endpoint; another account's is a 404, like one that does not exist."""
    return get_object_or_404(WebhookEndpoint.objects.for_account(account), pk=endpoint_id)


def _render(request, account, form, new_secret=None, status=200):
    # The page's queries are the same few however many endpoints (at most 20) the account has.
    not_attempted = Delivery.objects.filter(status=Delivery.Status.PENDING, attempt_count=0)[:RECENT_ATTEMPTS]
    endpoints = list(
        WebhookEndpoint.objects.for_account(account).prefetch_related(
            # Deliveries not attempted yet (a worker busy or stopped) are listed too, as waiting.
            Prefetch("deliveries", queryset=not_attempted, to_attr="waiting")
        )
    )
    attempts = (
        DeliveryAttempt.objects.filter(delivery__endpoint__in=endpoints)
        .select_related("delivery")
        .annotate(
            rank=Window(RowNumber(), partition_by=F("delivery__endpoint"), order_by=[F("started_at").desc(), F("id").desc()])
        )
        .filter(rank__lte=RECENT_ATTEMPTS)
    )
    by_endpoint = {}
    for attempt in attempts:
        by_endpoint.setdefault(attempt.delivery.endpoint_id, []).append(attempt)
    for endpoint in endpoints:
        endpoint.recent_attempts = by_endpoint.get(endpoint.pk, [])
    context = {
        "form": form,
        "checked_events": form.checked_events(),
        "event_types": EVENT_TYPES.items(),
        "endpoints": endpoints,
        "new_secret": new_secret,
    }
    return render(request, "webhooks/webhooks.html", context, status=status)


def _back(endpoint):
    return redirect(reverse("webhooks") + f"#{endpoint.pk}")


# The secret is shown in the response to the POST that creates or rolls it, never in a redirect,
# the session or a message; frames below must not show it in an error report either.
@sensitive_variables("new_secret", "context")
@management_view("GET", "HEAD", "POST")
def webhooks(request, account):
    if request.method != "POST":
        return _render(request, account, EndpointForm())
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _render(request, account, form, status=400)
    try:
        endpoint = WebhookEndpoint.objects.create_endpoint(
            account=account, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
        )
    except EndpointLimitReached as error:
        form.add_error(None, str(error))
        return _render(request, account, form, status=400)
    return _render(request, account, EndpointForm(), new_secret={"endpoint": endpoint, "secret": endpoint.secret})


@sensitive_variables("secret", "new_secret", "context")
@management_view("POST")
def roll_secret(request, account, endpoint_id):
    endpoint = _endpoint(account, endpoint_id)
    secret = endpoint.roll_secret(timezone.now())
    new_secret = {"endpoint": endpoint, "secret": secret, "rolled": True}
    return _render(request, account, EndpointForm(), new_secret=new_secret)


@management_view("POST")
def send_test(request, account, endpoint_id):
    endpoint = _endpoint(account, endpoint_id)
    if not endpoint.is_enabled:
        messages.error(request, "Enable the endpoint before sending it a test event.")
    else:
        events.send_test_event(endpoint)
        messages.success(request, f"A test event is on its way to {endpoint.url}.")
    return _back(endpoint)


@management_view("POST")
def set_status(request, account, endpoint_id, enabled):
    endpoint = _endpoint(account, endpoint_id)
    if enabled:
        endpoint.enable()
        messages.success(request, f"Enabled {endpoint.url}: new events are sent to it again.")
    else:
        endpoint.disable("Disabled by " + request.user.email)
        messages.success(request, f"Disabled {endpoint.url}: no events are sent to it until you enable it.")
    return _back(endpoint)


@management_view("GET", "HEAD", "POST")
def delete(request, account, endpoint_id):
    endpoint = _endpoint(account, endpoint_id)
    if request.method == "POST":
        endpoint.delete()
        messages.success(request, f"Deleted {endpoint.url}. No more events are sent to it.")
        return redirect("webhooks")
    return render(request, "webhooks/confirm_delete.html", {"endpoint": endpoint})


@management_view("POST")
def resend(request, account, endpoint_id, delivery_id):
    endpoint = _endpoint(account, endpoint_id)
    delivery = get_object_or_404(Delivery.objects.filter(endpoint=endpoint), pk=delivery_id)
    if not endpoint.is_enabled:
        messages.error(request, "Enable the endpoint before resending to it.")
    else:
        events.resend(delivery)
        messages.success(request, f"Resending {delivery.event_type} {delivery.event_id}.")
    return _back(endpoint)
