"""Install → Embed code: each chatbot's embed key, allowed domains and snippet; regenerating a key."""

import html
import re

import pytest
from django.test import Client

from accounts.models import AuditEvent, Membership
from chatbots.models import Chatbot
from tests.conftest import confirmed, make_member

INSTALL = "/install/"


def regenerate_url(chatbot):
    return f"/install/{chatbot.pk}/regenerate-embed-key/"


def test_it_requires_login():
    response = Client().get(INSTALL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_each_chatbots_embed_key_domains_and_snippet(alice_client, account, chatbot):
    chatbot.allowed_domains = ["shop.example.com", "www.example.com"]
    chatbot.save()
    sales = Chatbot.objects.create(account=account, name="Sales bot")
    page = alice_client.get(INSTALL).content.decode()
    for bot in (chatbot, sales):
        snippet = f'<script src="http://testserver/widget.js"\n        data-key="{bot.embed_key}"\n        async></script>'
        assert f'readonly spellcheck="false">{html.escape(snippet)}</textarea>' in page
        assert f"<code>{bot.embed_key}</code>" in page
        assert f'data-copy-target="snippet-{bot.pk}"' in page
    assert "shop.example.com, www.example.com" in page
    assert "Any website" in page  # the Sales bot has no allowed domains
    assert "js/copy.js" in page


def test_the_snippet_uses_https_behind_a_tls_proxy(alice_client, chatbot, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["app.pivra.example"]
    headers = {"X-Forwarded-Proto": "https", "Host": "app.pivra.example"}
    page = alice_client.get(INSTALL, headers=headers).content.decode()
    assert html.escape('<script src="https://app.pivra.example/widget.js"') in page


def test_it_does_not_show_another_accounts_chatbots(alice_client, other_chatbot):
    page = alice_client.get(INSTALL).content.decode()
    assert other_chatbot.embed_key not in page
    assert "Charlie" not in page


def test_owners_see_the_regenerate_button_and_members_do_not(alice_client, bob_client, chatbot):
    assert regenerate_url(chatbot) in alice_client.get(INSTALL).content.decode()
    page = bob_client.get(INSTALL).content.decode()
    assert chatbot.embed_key in page
    assert regenerate_url(chatbot) not in page


def test_regenerating_asks_for_confirmation_first(alice_client, chatbot):
    response = alice_client.get(regenerate_url(chatbot))
    assert response.status_code == 200
    assert b"Confirm" in response.content
    chatbot_before = chatbot.embed_key
    chatbot.refresh_from_db()
    assert chatbot.embed_key == chatbot_before


def test_an_owner_regenerates_an_embed_key_and_it_is_audited(alice_client, alice, chatbot):
    old_key = chatbot.embed_key
    response = alice_client.post(regenerate_url(chatbot), REMOTE_ADDR="192.0.2.10", follow=True)
    assert response.status_code == 200
    chatbot.refresh_from_db()
    assert chatbot.embed_key != old_key and chatbot.embed_key.startswith("pivra_pk_")
    page = response.content.decode()
    assert chatbot.embed_key in page and old_key not in page
    assert "the old key no longer works" in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.EMBED_KEY_REGENERATED)
    assert (event.account, event.actor, event.target_id) == (chatbot.account, alice, chatbot.pk)
    assert event.ip_address == "192.0.2.10"
    assert event.target_description == f"Support bot: embed key pivra_pk_…{old_key[-4:]}"


def test_an_admin_can_regenerate_too(account, chatbot):
    admin = make_member(account, "admin@example.com", Membership.Role.ADMIN)
    client = Client()
    client.force_login(admin)
    confirmed(client)
    old_key = chatbot.embed_key
    assert client.post(regenerate_url(chatbot)).status_code == 302
    chatbot.refresh_from_db()
    assert chatbot.embed_key != old_key


def test_a_member_cannot_regenerate_an_embed_key(bob_client, chatbot):
    old_key = chatbot.embed_key
    assert bob_client.get(regenerate_url(chatbot)).status_code == 403
    assert bob_client.post(regenerate_url(chatbot)).status_code == 403
    chatbot.refresh_from_db()
    assert chatbot.embed_key == old_key
    assert not AuditEvent.objects.exists()


def test_another_accounts_chatbot_is_a_404(alice_client, other_chatbot):
    old_key = other_chatbot.embed_key
    assert alice_client.get(regenerate_url(other_chatbot)).status_code == 404
    assert alice_client.post(regenerate_url(other_chatbot)).status_code == 404
    other_chatbot.refresh_from_db()
    assert other_chatbot.embed_key == old_key


def test_regenerating_requires_the_csrf_token(alice, chatbot):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    confirmed(client)
    old_key = chatbot.embed_key
    assert client.post(regenerate_url(chatbot)).status_code == 403
    chatbot.refresh_from_db()
    assert chatbot.embed_key == old_key


def test_the_regenerate_event_shows_on_the_security_page(alice_client, chatbot):
    alice_client.post(regenerate_url(chatbot))
    page = alice_client.get("/settings/security/").content.decode()
    assert "Embed key regenerated" in page


def test_regenerate_is_set_apart_from_copy_and_each_button_names_its_chatbot(alice_client, chatbot):
    page = alice_client.get(INSTALL).content.decode()
    actions, danger_zone = page.split('<div class="actions spaced">')[1].split('<div class="danger-zone">')
    assert 'aria-label="Copy the snippet for Support bot">Copy</button>' in actions
    assert 'aria-label="Preview Support bot">Preview</a>' in actions
    assert regenerate_url(chatbot) not in actions
    assert 'aria-label="Regenerate the embed key of Support bot">Regenerate embed key</a>' in danger_zone


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MEMBER])
def test_without_chatbots_the_page_points_to_the_chatbots_page_not_the_api(account, role):
    person = make_member(account, f"{role}@example.com", role)
    client = Client()
    client.force_login(person)
    page = client.get(INSTALL).content.decode()
    assert "No chatbots yet" in page and 'href="/chatbots/"' in page
    assert "/api/" not in page.split("<main")[1]


def test_the_preview_is_a_test_page_with_the_chatbots_widget(alice_client, chatbot):
    response = alice_client.get(f"/install/{chatbot.pk}/preview/")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(rf'<script src="/static/widget(\.[0-9a-f]+)?\.js" data-key="{chatbot.embed_key}" async></script>', page)
    assert "Open chat" in page


def test_a_member_can_preview_too(bob_client, chatbot):
    assert bob_client.get(f"/install/{chatbot.pk}/preview/").status_code == 200


@pytest.mark.parametrize("chatbot_id", ["{other}", "bot_nope", "%00"])
def test_another_accounts_or_a_malformed_chatbots_preview_is_a_404(alice_client, other_chatbot, chatbot_id):
    path = f"/install/{chatbot_id.format(other=other_chatbot.pk)}/preview/"
    assert alice_client.get(path).status_code == 404
    assert alice_client.get(path.replace("preview", "regenerate-embed-key")).status_code == 404


def test_the_page_runs_a_constant_number_of_queries(alice_client, account, chatbot, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as few:
        alice_client.get(INSTALL)
    for n in range(10):
        Chatbot.objects.create(account=account, name=f"Bot {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert alice_client.get(INSTALL).content.decode().count('class="card chatbot-install"') == 11
