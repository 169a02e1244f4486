"""The chat widget in Chromium, as a visitor meets it: a customer's page on another origin embeds
widget.js from Pivra; the visitor opens the chat, asks, reads the answer and leaves their details;
the customer then finds the lead through the API with a secret key."""

import json
import re
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import Membership
from apikeys.models import ApiKey
from chatbots.models import Chatbot
from sources.models import Source
from tests.conftest import make_account, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHIPPING = "We ship every order within 3 working days, and delivery to Canada takes about a week."


class CustomerSite:
    """A customer's website on its own origin (127.0.0.1, while Pivra's live server is localhost)."""

    def __init__(self):
        self.page_html = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.page_html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def embed(self, script_url, embed_key):
        self.page_html = (
            "<!doctype html><html lang='en'><head><title>Acme Bikes</title></head><body>"
            "<h1>Acme Bikes</h1><p>Welcome to our shop.</p>"
            f'<script src="{script_url}" data-key="{embed_key}" async></script>'
            "</body></html>"
        )

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def customer_site():
    site = CustomerSite()
    yield site
    site.close()


@pytest.fixture
def visitor(browser):
    """A fresh browser context: a visitor with no cookies and nothing stored."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def shop(live_server):
    account = make_account("Acme Bikes", plan="starter")
    owner = make_member(account, "owner@acme.example", Membership.Role.OWNER)
    chatbot = Chatbot.objects.create(
        account=account, name="Acme helper", welcome_message="Hi! Ask me about orders and delivery.",
        allowed_domains=["127.0.0.1"], lead_collect_phone=True,
    )
    Source.objects.create(
        account=account, chatbot=chatbot, type=Source.Type.TEXT, title="Shipping policy",
        content=f"Shipping\n\n{SHIPPING}\n\nReturns are free within 30 days.", status=Source.Status.READY,
    )
    _, secret_key = ApiKey.objects.create_key(account=account, label="CRM sync", created_by=owner)
    return chatbot, secret_key


def api_get(live_server, path, secret_key):
    request = urllib.request.Request(
        f"{live_server.url}{path}", headers={"Authorization": f"Bearer {secret_key}", "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_visitor_asks_a_question_and_leaves_details_that_the_api_then_lists(visitor, live_server, customer_site, shop):
    chatbot, secret_key = shop
    customer_site.embed(f"{live_server.url}/widget.js", chatbot.embed_key)
    visitor.goto(customer_site.url)
    assert not customer_site.url.startswith(live_server.url)  # the widget works cross-origin

    visitor.get_by_role("button", name="Open chat").click()
    chat = visitor.get_by_role("dialog", name="Acme helper")
    expect(chat).to_be_visible()
    conversation = chat.get_by_role("log")
    expect(conversation).to_contain_text("Hi! Ask me about orders and delivery.")
    assert not chatbot.conversations.exists()  # opening the chat is not a conversation yet

    chat.get_by_label("Message").fill("How long does delivery to Canada take?")
    chat.get_by_role("button", name="Send", exact=True).click()
    expect(conversation).to_contain_text(SHIPPING)
    expect(conversation).to_contain_text("Sources: Shipping policy")
    expect(conversation).not_to_contain_text("Returns are free")

    chat.get_by_role("button", name="Leave your details").click()
    chat.get_by_label("Name").fill("Dana Visitor")
    chat.get_by_label("Email").fill("dana@example.org")
    chat.get_by_label("Phone").fill("+351 912 345 678")
    chat.get_by_role("button", name="Send details").click()
    expect(conversation).to_contain_text("Thanks! We'll be in touch soon.")

    leads = api_get(live_server, "/api/leads", secret_key)["results"]
    assert [(lead["name"], lead["email"], lead["phone"]) for lead in leads] == [
        ("Dana Visitor", "dana@example.org", "+351 912 345 678")
    ]
    assert leads[0]["chatbot"] == chatbot.pk
    assert chatbot.conversations.count() == 1
    detail = api_get(live_server, f"/api/conversations/{leads[0]['conversation']}", secret_key)
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["messages"][0]["content"] == "How long does delivery to Canada take?"
    assert SHIPPING in detail["messages"][1]["content"]


def test_a_visitor_who_moves_to_another_page_continues_the_conversation(visitor, live_server, customer_site, shop):
    chatbot, _ = shop
    customer_site.embed(f"{live_server.url}/widget.js", chatbot.embed_key)
    visitor.goto(customer_site.url)
    visitor.get_by_role("button", name="Open chat").click()
    visitor.get_by_label("Message").fill("Do you ship to Canada?")
    visitor.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.get_by_role("log")).to_contain_text(SHIPPING)

    visitor.reload()
    visitor.get_by_role("button", name="Open chat").click()
    expect(visitor.get_by_role("log")).to_contain_text("Do you ship to Canada?")
    expect(visitor.get_by_role("log")).to_contain_text(SHIPPING)
    assert chatbot.conversations.count() == 1


def test_the_widget_works_from_the_keyboard(visitor, live_server, customer_site, shop):
    chatbot, _ = shop
    customer_site.embed(f"{live_server.url}/widget.js", chatbot.embed_key)
    visitor.goto(customer_site.url)
    bubble = visitor.get_by_role("button", name="Open chat")
    expect(bubble).to_be_visible()

    bubble.focus()
    visitor.keyboard.press("Enter")
    message = visitor.get_by_label("Message")
    expect(message).to_be_focused()
    visitor.keyboard.type("Do you ship to Canada?")
    visitor.keyboard.press("Enter")
    expect(visitor.get_by_role("log")).to_contain_text(SHIPPING)

    visitor.keyboard.press("Escape")
    expect(visitor.get_by_role("dialog")).to_be_hidden()
    expect(bubble).to_be_focused()


def test_the_lead_form_asks_only_for_what_the_chatbot_collects_and_opens_when_nothing_matches(
    visitor, live_server, customer_site, shop
):
    chatbot, _ = shop
    chatbot.lead_collect_name = False
    chatbot.lead_collect_phone = False
    chatbot.save()
    customer_site.embed(f"{live_server.url}/widget.js", chatbot.embed_key)
    visitor.goto(customer_site.url)
    visitor.get_by_role("button", name="Open chat").click()

    visitor.get_by_label("Message").fill("Do you sell gift cards for birthdays?")
    visitor.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.get_by_role("log")).to_contain_text("Sorry, I couldn't find an answer to that.")
    expect(visitor.get_by_label("Email")).to_be_focused()  # the bot offered the form
    expect(visitor.get_by_label("Name")).to_be_hidden()
    expect(visitor.get_by_label("Phone")).to_be_hidden()

    visitor.get_by_label("Email").fill("not an email")
    visitor.get_by_role("button", name="Send details").click()
    expect(visitor.get_by_role("log")).not_to_contain_text("Thanks!")  # the browser's own check
    visitor.get_by_label("Email").fill("dana@example.org")
    visitor.get_by_role("button", name="Send details").click()
    expect(visitor.get_by_role("log")).to_contain_text("Thanks! We'll be in touch soon.")
    assert list(chatbot.leads.values_list("email", "name", "phone")) == [("dana@example.org", "", "")]


def test_on_a_site_that_is_not_allowed_the_widget_cannot_chat(visitor, live_server, customer_site, shop):
    chatbot, _ = shop
    chatbot.allowed_domains = ["www.acme.example"]
    chatbot.save()
    customer_site.embed(f"{live_server.url}/widget.js", chatbot.embed_key)
    visitor.goto(customer_site.url)
    visitor.get_by_role("button", name="Open chat").click()
    expect(visitor.get_by_role("log")).to_contain_text(re.compile("could not be reached"))
    assert not chatbot.conversations.exists()
