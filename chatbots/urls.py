"""/install/: Install → Embed code."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.install, name="install"),
    path("<str:chatbot_id>/preview/", views.preview, name="preview_widget"),
    path("<str:chatbot_id>/regenerate-embed-key/", views.regenerate_embed_key, name="regenerate_embed_key"),
]
