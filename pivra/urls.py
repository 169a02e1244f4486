"""The one place that knows every app."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from api.views import ApiReferenceView, GettingStartedView

from . import views

PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    # First: integrations' polling is most of the traffic, and each pattern tried costs time.
    path("api/", include("api.urls")),
    path("", RedirectView.as_view(pattern_name="security", permanent=False)),
    re_path(r"^healthz/?$", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("settings/security/", include("apikeys.urls")),
    path("install/", include("chatbots.urls")),
    path("admin/", admin.site.urls),
    # The API's schema and reference are public: no login, no API key.
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
    re_path(r"^api/docs/?$", ApiReferenceView.as_view(url_name="schema"), name="api_docs"),
    path("docs/getting-started/", GettingStartedView.as_view(), name="getting_started"),
    path("widget/v1/", include("widget.urls")),
    path("widget.js", include("widget.script_urls")),
]

handler404 = "pivra.views.not_found"
handler500 = "pivra.views.server_error"
