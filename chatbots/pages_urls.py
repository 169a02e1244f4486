"""/chatbots/: the account's chatbots in the browser (their sources: sources/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.chatbots_page, name="chatbots"),
    path("<str:chatbot_id>/", views.chatbot_page, name="chatbot"),
    path("<str:chatbot_id>/status/", views.set_status, name="chatbot_status"),
    path("<str:chatbot_id>/delete/", views.delete_chatbot, name="delete_chatbot"),
]
