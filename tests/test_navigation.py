"""The dashboard's navigation: the same six sections on every page, the current one marked with
aria-current, a skip link to the content, and Settings' own navigation on its pages."""

import re

import pytest

MAIN_LINKS = ["Chatbots", "Conversations", "Leads", "Usage", "Install", "Settings"]


def main_nav(html):
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    return re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', nav)


@pytest.mark.parametrize(
    "path, current",
    [
        ("/chatbots/", "Chatbots"),
        ("/chatbots/{chatbot}/", "Chatbots"),
        ("/conversations/", "Conversations"),
        ("/leads/", "Leads"),
        ("/usage/", "Usage"),
        ("/install/", "Install"),
        ("/settings/security/", "Settings"),
        ("/settings/webhooks/", "Settings"),
        ("/settings/plans/", "Settings"),
        ("/accounts/password/change/", None),
    ],
)
def test_every_page_shows_the_six_sections_and_marks_where_you_are(alice_client, chatbot, path, current):
    html = alice_client.get(path.format(chatbot=chatbot.id)).content.decode()
    links = main_nav(html)
    assert [label for _, label in links] == MAIN_LINKS
    assert [label for marked, label in links if marked] == ([current] if current else [])


def test_every_page_starts_with_a_skip_link_to_its_content(alice_client, chatbot):
    html = alice_client.get("/leads/").content.decode()
    body = html.split("<body>")[1]
    assert body.lstrip().startswith('<a class="skip-link" href="#content">Skip to content</a>')
    assert '<main id="content"' in html


def test_the_login_page_has_no_navigation(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'aria-label="Main"' not in html and "Skip to content" in html


def test_settings_pages_show_their_own_navigation(alice_client):
    html = alice_client.get("/settings/webhooks/").content.decode()
    settings_nav = html.split('<nav class="subnav" aria-label="Settings">')[1].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", settings_nav) == ["Security", "Webhooks", "Plans"]
    assert 'href="/settings/webhooks/" aria-current="page">Webhooks</a>' in settings_nav
    assert 'aria-label="Settings"' not in alice_client.get("/leads/").content.decode()


def test_members_settings_navigation_has_security_and_plans(bob_client):
    html = bob_client.get("/settings/plans/").content.decode()
    settings_nav = html.split('<nav class="subnav" aria-label="Settings">')[1].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", settings_nav) == ["Security", "Plans"]
    assert 'href="/settings/plans/" aria-current="page">Plans</a>' in settings_nav
