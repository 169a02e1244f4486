"""/widget.js, included at the site's root by pivra/urls.py."""

from django.urls import path

from . import views

urlpatterns = [path("", views.widget_script, name="widget_js")]
