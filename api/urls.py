from django.urls import include, re_path
from rest_framework.routers import SimpleRouter

from . import views

# Every path answers with and without a trailing slash, without a redirect.
router = SimpleRouter(use_regex_path=True)
router.trailing_slash = "/?"

urlpatterns = [
    re_path(r"^usage/?$", views.UsageView.as_view(), name="usage"),
    re_path(r"^", include(router.urls)),
]
