"""Pivra's URLs plus the comparison endpoints (benchmark only; see tools/bench/views.py).

The bench patterns come first, so Pivra's own /api/leads pays the few extra pattern checks. They sit
under /api/ like Pivra's, so the same middleware treats them alike.
"""

from django.urls import re_path

from pivra.urls import urlpatterns as pivra_urlpatterns

from . import views

LIST = {"get": "list"}

urlpatterns = [
    re_path(r"^api/bench/token/leads/?$", views.TokenLeadViewSet.as_view(LIST), name="bench-token-leads"),
    re_path(r"^api/bench/noauth/leads/?$", views.UnauthenticatedLeadViewSet.as_view(LIST), name="bench-noauth-leads"),
    *pivra_urlpatterns,
]
