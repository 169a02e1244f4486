"""/chatbots/<chatbot_id>/sources/: a chatbot's sources in the browser."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.add_source, name="add_source"),
    path("status/", views.source_status, name="source_status"),
    path("<str:source_id>/delete/", views.delete_source, name="delete_source"),
]
