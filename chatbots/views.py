from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from accounts.context import current_account

from .models import Chatbot


@login_required
def install(request):
    account = current_account(request)
    if account is None:
        raise Http404("You are not a member of any account.")
    chatbots = Chatbot.objects.for_account(account)
    return render(request, "chatbots/install.html", {"chatbots": chatbots})
