from django.urls import include, re_path
from rest_framework.routers import SimpleRouter

from . import views, viewsets

# Every path answers with and without a trailing slash, without a redirect.
router = SimpleRouter(use_regex_path=True)
router.trailing_slash = "/?"
router.register("leads", viewsets.LeadViewSet, basename="lead")
router.register("conversations", viewsets.ConversationViewSet, basename="conversation")
router.register("chatbots", viewsets.ChatbotViewSet, basename="chatbot")
router.register("sources", viewsets.SourceViewSet, basename="source")

urlpatterns = [
    re_path(r"^usage/?$", views.UsageView.as_view(), name="usage"),
    re_path(r"^", include(router.urls)),
]
