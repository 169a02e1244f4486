"""Settings → Plans: every plan's limits from the database, the account's own marked, and how to
change plan (an owner emails sales; a member asks an owner)."""

import re

import pytest
from django.test import Client

from accounts.models import Membership, Plan
from tests.conftest import make_member

PLANS = "/settings/plans/"


def card(html, code):
    """The HTML of the plan card of `code`."""
    return html.split(f'aria-labelledby="plan-{code}"')[1].split("</li>")[0]


def cell(html, code, term):
    return re.search(rf"<dt>{term}</dt><dd>([^<]*)</dd>", card(html, code)).group(1)


def test_the_page_needs_a_login(client, db):
    response = client.get(PLANS)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PLANS}"


def test_the_page_lists_every_plan_in_order(alice_client):
    html = alice_client.get(PLANS).content.decode()
    names = re.findall(r'<h2 id="plan-[a-z]+">([A-Za-z]+)', html)
    assert names == ["Free", "Starter", "Growth", "Business"]


@pytest.mark.parametrize(
    "code, credits, chatbots, characters, members, api_keys, requests",
    [
        ("free", "50", "1", "400,000", "1", "No", "—"),
        ("starter", "2,000", "3", "5,000,000", "3", "Yes", "120"),
        ("growth", "10,000", "10", "20,000,000", "10", "Yes", "600"),
        ("business", "50,000", "50", "100,000,000", "50", "Yes", "3,000"),
    ],
)
def test_each_plan_shows_its_limits(alice_client, code, credits, chatbots, characters, members, api_keys, requests):
    html = alice_client.get(PLANS).content.decode()
    assert cell(html, code, "Message credits a month") == credits
    assert cell(html, code, "Chatbots") == chatbots
    assert cell(html, code, "Knowledge characters") == characters
    assert cell(html, code, "Team members") == members
    assert cell(html, code, "API keys") == api_keys
    assert cell(html, code, "API requests a minute") == requests


def test_the_limits_come_from_the_database(alice_client):
    Plan.objects.filter(code="growth").update(max_chatbots=12)
    assert cell(alice_client.get(PLANS).content.decode(), "growth", "Chatbots") == "12"


def test_the_accounts_own_plan_is_marked_your_plan(alice_client):
    html = alice_client.get(PLANS).content.decode()
    assert html.count("Your plan") == 1
    assert "Your plan" in card(html, "starter")
    assert 'aria-current="true"' in html.split('aria-labelledby="plan-starter"')[1].split(">")[0]
    assert "Alice Co is on the Starter plan" in html


def test_an_owner_is_told_to_email_sales_to_change_plan(alice_client, settings):
    settings.PIVRA_SALES_EMAIL = "plans@example.com"
    html = alice_client.get(PLANS).content.decode()
    assert 'To change plan, email <a href="mailto:plans@example.com?subject=Change%20plan%20for%20Alice%20Co">plans@example.com</a>' in html
    assert "Ask an owner" not in html


@pytest.mark.parametrize("role", [Membership.Role.MEMBER, Membership.Role.ADMIN])
def test_members_and_admins_are_told_to_ask_an_owner(account, role):
    client = Client()
    client.force_login(make_member(account, "someone@example.com", role))
    html = client.get(PLANS).content.decode()
    assert "Ask an owner of Alice Co to change plan." in html
    assert "mailto:" not in html
    assert "Your plan" in card(html, "starter")


def test_a_free_account_sees_what_starter_unlocks(alice_client, account):
    account.plan = Plan.objects.get(code="free")
    account.save()
    html = alice_client.get(PLANS).content.decode()
    assert "Your plan" in card(html, "free")
    assert cell(html, "starter", "API keys") == "Yes"


def test_the_page_only_reads(alice_client):
    assert alice_client.post(PLANS).status_code == 405


def test_a_user_without_an_account_gets_a_404(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(email="loner@example.com", password="x"))
    assert client.get(PLANS).status_code == 404


def test_the_usage_page_links_to_compare_plans(alice_client):
    assert '<a href="/settings/plans/">Compare plans</a>' in alice_client.get("/usage/").content.decode()
