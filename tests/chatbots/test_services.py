"""create_chatbot: the one way a chatbot is added for an account, within its plan."""

import pytest

from accounts.models import Plan
from chatbots.models import Chatbot
from chatbots.services import create_chatbot
from usage.limits import ChatbotLimitReached


def test_a_chatbot_is_created_for_the_account_with_its_embed_key(account):
    chatbot = create_chatbot(account=account, name="Sales", welcome_message="Questions about pricing?")
    assert chatbot.account == account
    assert chatbot.embed_key.startswith("pivra_pk_")
    assert Chatbot.objects.for_account(account).get().welcome_message == "Questions about pricing?"


def test_a_chatbot_beyond_the_plans_limit_is_refused_with_a_message_naming_the_plan(account):
    Plan.objects.filter(code="starter").update(max_chatbots=1)
    account.refresh_from_db()
    create_chatbot(account=account, name="One")
    with pytest.raises(ChatbotLimitReached) as refused:
        create_chatbot(account=account, name="Two")
    assert str(refused.value) == "Your Starter plan allows 1 chatbot(s). Delete one or upgrade to add more."
    assert Chatbot.objects.for_account(account).count() == 1


def test_another_accounts_chatbots_leave_this_accounts_room_alone(account, other_account):
    Plan.objects.filter(code="starter").update(max_chatbots=1)
    account.refresh_from_db()
    other_account.refresh_from_db()
    create_chatbot(account=other_account, name="Theirs")
    assert create_chatbot(account=account, name="Ours").name == "Ours"
