"""/usage/: the account's usage of its plan."""

from django.urls import path

from . import views

urlpatterns = [path("", views.usage_page, name="usage")]
