"""What a chatbot allows, once its embed key is known (`request.auth`): the websites it answers
on, and whether it answers at all."""

from urllib.parse import urlsplit

from rest_framework.permissions import BasePermission

from chatbots.models import Chatbot


def origin_allowed(chatbot, origin):
    """Any origin when the chatbot has no allowed domains; else one whose host name is listed
    (`*.example.com` allows the subdomains of example.com)."""
    if not chatbot.allowed_domains:
        return True
    try:
        host = (urlsplit(origin or "").hostname or "").rstrip(".")
    except ValueError:
        return False
    if not host:
        return False
    for domain in chatbot.allowed_domains:
        domain = domain.lower()
        if host == domain or (domain.startswith("*.") and host.endswith(domain[1:])):
            return True
    return False


class AllowedOrigin(BasePermission):
    message = "This chatbot does not answer on this website."
    code = "origin_not_allowed"

    def has_permission(self, request, view):
        return origin_allowed(request.auth, request.headers.get("Origin"))


class ActiveChatbot(BasePermission):
    message = "This chat is not available right now."
    code = "chatbot_paused"

    def has_permission(self, request, view):
        return request.auth.status == Chatbot.Status.ACTIVE
