"""The one place that knows every app."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from accounts import views as accounts_views
from answers.api import ChatViewSet
from api.views import ApiReferenceView, GettingStartedView
from apikeys.secret_scanning import SecretScanningView
from chatbots import conversation_views
from chatbots.api import ChatbotViewSet, ConversationViewSet
from leads.api import LeadViewSet
from sources.api import SourceViewSet
from usage.api import UsageView
from webhooks.api import WebhookEndpointViewSet
from widget import views as widget

from . import views

PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

# The REST API: every path answers with and without a trailing slash, without a redirect.
router = SimpleRouter(use_regex_path=True)
router.trailing_slash = "/?"
router.register("leads", LeadViewSet, basename="lead")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("chatbots", ChatbotViewSet, basename="chatbot")
router.register("chatbots", ChatViewSet, basename="chatbot-chat")  # POST /api/chatbots/{id}/chat
router.register("sources", SourceViewSet, basename="source")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
api_urlpatterns = [
    re_path(r"^usage/?$", UsageView.as_view(), name="usage"),
    # GitHub reports leaked keys here (signed by GitHub; no API key).
    re_path(r"^integrations/github/secret-scanning/?$", SecretScanningView.as_view(), name="github_secret_scanning"),
    re_path(r"^", include(router.urls)),
]

# The chat widget's public endpoints (the embed key, not a secret key), with and without a slash.
CONVERSATION = r"^conversations/(?P<conversation_id>conv_[0-9A-Za-z]{20})"
widget_urlpatterns = [
    re_path(r"^chatbot/?$", widget.ChatbotView.as_view(), name="widget_chatbot"),
    re_path(r"^conversations/?$", widget.ConversationView.as_view(), name="widget_conversations"),
    re_path(rf"{CONVERSATION}/messages/?$", widget.MessageView.as_view(), name="widget_messages"),
    re_path(rf"{CONVERSATION}/lead/?$", widget.LeadView.as_view(), name="widget_lead"),
]

urlpatterns = [
    # First: integrations' polling is most of the traffic, and each pattern tried costs time.
    path("api/", include(api_urlpatterns)),
    path("", RedirectView.as_view(pattern_name="security", permanent=False)),
    re_path(r"^healthz/?$", views.healthz, name="healthz"),
    re_path(r"^metrics/?$", views.metrics_view, name="metrics"),
    re_path(r"^readyz/?$", views.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("settings/security/", include("apikeys.urls")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("settings/plans/", accounts_views.plans, name="plans"),
    path("chatbots/", include("chatbots.pages_urls")),
    path("chatbots/<str:chatbot_id>/sources/", include("sources.urls")),
    path("install/", include("chatbots.urls")),
    path("conversations/", conversation_views.conversations_page, name="conversations"),
    path("conversations/<str:conversation_id>/", conversation_views.conversation_page, name="conversation"),
    path("leads/", include("leads.urls")),
    path("usage/", include("usage.urls")),
    path("admin/", admin.site.urls),
    # The API's schema and reference are public: no login, no API key.
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
    re_path(r"^api/docs/?$", ApiReferenceView.as_view(url_name="schema"), name="api_docs"),
    path("docs/getting-started/", GettingStartedView.as_view(), name="getting_started"),
    path("widget/v1/", include(widget_urlpatterns)),
]

handler404 = "pivra.views.not_found"
handler500 = "pivra.views.server_error"
