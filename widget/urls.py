"""/widget/v1/: the chat widget's public endpoints. Each answers with and without a trailing slash."""

from django.urls import re_path

from . import views

CONVERSATION = r"^conversations/(?P<conversation_id>conv_[0-9A-Za-z]{20})"

urlpatterns = [
    re_path(r"^chatbot/?$", views.ChatbotView.as_view(), name="widget_chatbot"),
    re_path(r"^conversations/?$", views.ConversationView.as_view(), name="widget_conversations"),
    re_path(rf"{CONVERSATION}/messages/?$", views.MessageView.as_view(), name="widget_messages"),
    re_path(rf"{CONVERSATION}/lead/?$", views.LeadView.as_view(), name="widget_lead"),
]
