from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from accounts.models import Plan


class ApiReferenceView(SpectacularSwaggerSplitView):
    """Swagger UI for /api/schema/, its files served by the app (drf-spectacular-sidecar). Public.

    The split view serves Swagger UI's start-up script from this URL (`?script`) instead of inline,
    so the page runs under the site's Content-Security-Policy; its template's inline style is
    replaced by a file (templates/drf_spectacular/swagger_ui.html)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # A page, not an endpoint: DRF's OPTIONS answer would render the API's metadata through this
    # HTML renderer, which has no template for it (a 500). OPTIONS gets 405 like other methods.
    http_method_names = ["get", "head"]

    def perform_authentication(self, request):
        # API requests have no user (UNAUTHENTICATED_USER is None), but this page is rendered by
        # Django's template engine, whose context processors expect the session's user.
        request.user, request.auth = request._request.user, None


class GettingStartedView(TemplateView):
    """The human-written introduction to the API, public like the reference it links to."""

    template_name = "docs/getting_started.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_root"] = self.request.build_absolute_uri("/api")
        context["api_plans"] = Plan.objects.filter(api_keys_allowed=True)
        context["free_plans"] = Plan.objects.filter(api_keys_allowed=False)
        return context

