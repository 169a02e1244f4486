"""Management commands: `create_account` and `seed_demo`."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Account, Membership, User
from chatbots.models import Chatbot, Conversation, Message
from demo.seed import DEMO_EMAIL, DEMO_PASSWORD
from leads.models import Lead
from sources.models import Source
from usage.report import current_period, message_credits_used

ARGS = {"name": "Globex", "owner_email": "hank@globex.example", "password": "s3cret-enough-pw", "plan": "growth"}


def create_account(**overrides):
    options = {**ARGS, **overrides}
    out = StringIO()
    call_command(
        "create_account",
        "--name", options["name"],
        "--owner-email", options["owner_email"],
        "--password", options["password"],
        "--plan", options["plan"],
        stdout=out,
    )
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in (Account, User, Membership)}


def test_create_account_creates_exactly_one_account_owner_and_membership(db):
    before = counts()
    create_account()
    assert counts() == {name: count + 1 for name, count in before.items()}


def test_create_account_makes_the_new_user_the_owner_on_the_chosen_plan(db):
    create_account()
    account = Account.objects.get(name="Globex")
    membership = Membership.objects.get(account=account)
    assert account.plan.code == "growth"
    assert membership.user.email == "hank@globex.example"
    assert membership.role == Membership.Role.OWNER


def test_the_new_owner_can_log_in_with_the_given_password(db):
    create_account()
    response = Client().post("/accounts/login/", {"username": "hank@globex.example", "password": "s3cret-enough-pw"})
    assert response.status_code == 302


def test_create_account_says_what_it_created(db):
    output = create_account()
    assert "Globex" in output
    assert "Growth" in output
    assert "hank@globex.example" in output


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@example.com"])
def test_create_account_refuses_an_email_that_is_taken_and_creates_nothing(alice, email):
    before = counts()
    with pytest.raises(CommandError, match="already exists"):
        create_account(owner_email=email)
    assert counts() == before


def test_create_account_refuses_an_unknown_plan_naming_the_real_ones_and_creates_nothing(db):
    before = counts()
    with pytest.raises(CommandError, match="Unknown plan 'platinum'.*free, starter, growth, business"):
        create_account(plan="platinum")
    assert counts() == before


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "   "}, "name cannot be empty"),
        ({"owner_email": "not-an-email"}, "not a valid email"),
        ({"password": ""}, "password cannot be empty"),
    ],
    ids=["blank-name", "bad-email", "empty-password"],
)
def test_create_account_refuses_bad_input_and_creates_nothing(db, overrides, message):
    before = counts()
    with pytest.raises(CommandError, match=message):
        create_account(**overrides)
    assert counts() == before


def test_create_account_leaves_no_half_created_account_when_a_step_fails(db):
    before = counts()
    with mock.patch.object(Membership.objects, "create", side_effect=RuntimeError("disk full")):
        with pytest.raises(RuntimeError):
            create_account()
    assert counts() == before


def test_create_account_requires_every_option(db):
    with pytest.raises(CommandError):
        call_command("create_account", "--name", "Globex", stdout=StringIO())
    assert not Account.objects.exists()


# seed_demo


def demo_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Account, User, Membership, Chatbot, Source, Conversation, Message, Lead)
    }


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_a_starter_account_with_two_chatbots_and_their_data(db):
    seed()
    account = Account.objects.get(memberships__user__email=DEMO_EMAIL)
    assert account.plan.code == "starter"
    assert Chatbot.objects.for_account(account).count() == 2
    assert Source.objects.for_account(account).count() >= 3
    assert Conversation.objects.for_account(account).count() >= 2
    assert Message.objects.filter(conversation__account=account).count() >= 4
    assert Lead.objects.for_account(account).count() >= 2


def test_the_demo_accounts_message_credits_count_its_visitors_messages_this_month(db):
    seed()
    account = Account.objects.get(memberships__user__email=DEMO_EMAIL)
    this_month = Message.objects.filter(conversation__account=account, role="user", created_at__gte=current_period()[0])
    assert message_credits_used(account) == this_month.count()


def test_seed_demo_prints_how_to_log_in(db):
    output = seed()
    assert "/accounts/login/" in output
    assert DEMO_EMAIL in output
    assert DEMO_PASSWORD in output


def test_the_printed_demo_login_works(client, db):
    seed()
    response = client.post("/accounts/login/", {"username": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/settings/security/").status_code == 200


def test_seed_demo_run_twice_changes_nothing_the_second_time(db):
    seed()
    after_first = demo_counts()
    output = seed()
    assert demo_counts() == after_first
    assert "existing" in output.lower()
