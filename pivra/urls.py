"""The one place that knows every app."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from chatbots import views as chatbot_views

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="security", permanent=False)),
    re_path(r"^healthz/?$", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("settings/security/", include("apikeys.urls")),
    path("install/", chatbot_views.install, name="install"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("widget/v1/", include("widget.urls")),
]
