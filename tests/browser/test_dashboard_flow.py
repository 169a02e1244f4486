"""The owner's whole first day in Chromium (issue #18), at a phone's width and a laptop's, and
with the keyboard alone: create a chatbot, give it a text source and see it Ready, copy its
snippet from Install, chat in the widget on the Preview page and on a page of one's own, leave
details, then find the lead on Leads and in the exported CSV, and the conversation on
Conversations."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import Membership
from chatbots.models import Chatbot
from leads.models import Lead
from tests.conftest import PASSWORD, make_account, make_member

from .navigation import FOLDS_AT, open_section
from .test_api_key_flow import log_in
from .test_widget import CustomerSite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
HOURS = "The help desk is open from 8 am to 6 pm, Monday to Friday."
QUESTION = "When is the help desk open?"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def owner():
    account = make_account("Alice Co", plan="starter")
    make_member(account, "alice@example.com", Membership.Role.OWNER)
    return account


@pytest.fixture
def customer_site():
    site = CustomerSite()
    yield site
    site.close()


# The steps, one helper each, as a person does them with a pointer.

def create_chatbot(page, name):
    open_section(page, "Chatbots")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create chatbot").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("status")).to_contain_text(f"Created {name}")


def add_text_source(page, title, text):
    form = page.get_by_role("form", name="Text")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Text").fill(text)
    form.get_by_role("button", name="Add text").click()
    expect(source_row(page, title)).to_contain_text("Ready")


def source_row(page, title):
    return page.locator("table.sources").get_by_role("row").filter(has_text=title)


def copy_snippet(page, chatbot_name):
    """Copy the chatbot's snippet on Install; returns what the clipboard then holds."""
    open_section(page, "Install")
    page.get_by_role("button", name=f"Copy the snippet for {chatbot_name}").click()
    expect_copied(page, chatbot_name)
    snippet = page.evaluate("navigator.clipboard.readText()")
    assert snippet == page.get_by_label("Embed snippet").input_value()
    return snippet


def expect_copied(page, chatbot_name):
    expect(page.get_by_role("button", name=f"Copy the snippet for {chatbot_name}")).to_have_text("Copied")
    status = page.locator("#copy-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("Copied")


def chat(page, question, answer):
    page.get_by_role("button", name="Open chat").click()
    page.get_by_label("Message").fill(question)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("log")).to_contain_text(answer)


def leave_details(page, name, email):
    page.get_by_role("button", name="Leave your details").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send details").click()
    expect(page.get_by_role("log")).to_contain_text("Thanks! We'll be in touch soon.")


def lead_row(page, email):
    return page.locator("table.leads").get_by_role("row").filter(has_text=email)


def find_lead(page, name, email, chatbot_name):
    open_section(page, "Leads")
    page.get_by_label("Search").fill(email)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"\?q="))
    rows = page.locator("table.leads tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(name)
    expect(rows).to_contain_text(chatbot_name)
    expect(rows.get_by_role("link", name=email, exact=True)).to_have_attribute("href", f"mailto:{email}")


def exported_rows(download):
    with open(download.path(), encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def assert_exported(rows, name, email, chatbot_name):
    assert [(row["name"], row["email"], row["chatbot"]) for row in rows] == [(name, email, chatbot_name)], rows


def see_conversation(page, chatbot_name, *texts):
    open_section(page, "Conversations")
    row = page.locator("table.conversations tbody tr").filter(has_text=chatbot_name)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=re.compile(r"UTC, transcript")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Conversation with {chatbot_name}")
    for text in texts:
        expect(page.locator("main")).to_contain_text(text)


@pytest.mark.parametrize("screen", [PHONE, LAPTOP], ids=["390px", "1280px"])
def test_an_owner_creates_a_chatbot_installs_it_chats_and_finds_the_lead(page, owner, screen, live_server):
    page.set_viewport_size(screen)
    log_in(page, "alice@example.com")

    create_chatbot(page, "Help desk")
    add_text_source(page, "Opening hours", f"Opening hours\n\n{HOURS}\n\nParking is free for visitors.")

    snippet = copy_snippet(page, "Help desk")
    chatbot = Chatbot.objects.get(account=owner, name="Help desk")
    assert chatbot.embed_key in snippet and f"{live_server.url}/widget.js" in snippet

    page.get_by_role("link", name="Preview Help desk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: Help desk")
    chat(page, QUESTION, HOURS)
    expect(page.get_by_role("log")).not_to_contain_text("Parking")
    leave_details(page, "Dana Visitor", "dana@example.org")

    find_lead(page, "Dana Visitor", "dana@example.org", "Help desk")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert re.fullmatch(r"leads-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    assert_exported(exported_rows(download.value), "Dana Visitor", "dana@example.org", "Help desk")

    see_conversation(page, "Help desk", QUESTION, HOURS, "dana@example.org")


def test_the_copied_snippet_works_pasted_into_another_sites_page(page, owner, customer_site, browser):
    log_in(page, "alice@example.com")
    create_chatbot(page, "Help desk")
    add_text_source(page, "Opening hours", f"Opening hours\n\n{HOURS}")
    snippet = copy_snippet(page, "Help desk")

    customer_site.page_html = (
        "<!doctype html><html lang='en'><head><title>Alice Co</title></head><body>"
        f"<h1>Alice Co</h1><p>Welcome.</p>\n{snippet}\n</body></html>"
    )
    visitor = browser.new_context().new_page()  # a visitor: another browser, no Pivra session
    try:
        visitor.goto(customer_site.url)
        chat(visitor, QUESTION, HOURS)
        leave_details(visitor, "Erin Visitor", "erin@example.org")
    finally:
        visitor.context.close()

    find_lead(page, "Erin Visitor", "erin@example.org", "Help desk")
    # The export link carries the page's filters; the session is the browser's.
    href = page.get_by_role("link", name="Export CSV").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert_exported(list(csv.DictReader(io.StringIO(response.text()))), "Erin Visitor", "erin@example.org", "Help desk")
    assert Lead.objects.get(email="erin@example.org").conversation.channel == "widget"


# With the keyboard alone: Tab to a control, then type, Enter or Space; nothing is clicked.

FOCUSED = """element => {
    let active = document.activeElement;  // the widget's controls are inside its shadow root
    while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
    return active === element;
}"""

FOCUS_RING = """() => {
    let active = document.activeElement;
    while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
    const style = getComputedStyle(active);
    return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), box: style.boxShadow};
}"""


def tab_to(page, target, *, backwards=False, limit=60):
    """Press Tab (Shift+Tab backwards) until `target` has the focus; fail if it never gets it."""
    element = target.element_handle()  # found once: a role query per key press is slow
    for _ in range(limit):
        if element.evaluate(FOCUSED):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    pytest.fail(f"{limit} presses of {'Shift+' if backwards else ''}Tab never reached {target}")


def press_and_load(page, key="Enter"):
    with page.expect_navigation():
        page.keyboard.press(key)


def assert_focus_is_visible(page):
    ring = page.evaluate(FOCUS_RING)
    assert ring["style"] != "none" and ring["width"] >= 2, ring


def main_link(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def tab_to_section(page, name, *, backwards=False):
    """Tab to the main navigation's link `name`; on a phone, to Menu first, opened with Enter."""
    if page.viewport_size["width"] <= FOLDS_AT:
        menu = page.get_by_role("button", name="Menu")
        tab_to(page, menu, backwards=backwards)
        assert_focus_is_visible(page)
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        backwards = False  # the links come right after Menu
    tab_to(page, main_link(page, name), backwards=backwards)


def assert_escape_closes_the_menu(page):
    """On a phone: Space opens Menu, whose first link is the next Tab; Escape there closes it and
    gives Menu the focus back (not to the page's start, nor to a link now hidden)."""
    menu = page.get_by_role("button", name="Menu")
    tab_to(page, menu)
    page.keyboard.press("Space")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(main_link(page, "Chatbots")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(menu).to_be_focused()


@pytest.mark.parametrize("screen", [PHONE, LAPTOP], ids=["390px", "1280px"])
def test_an_owner_does_it_all_with_the_keyboard_alone(page, owner, screen):
    page.set_viewport_size(screen)
    page.goto("/accounts/login/")
    expect(page.get_by_label("Email")).to_be_focused()  # the login form's one job: it starts there
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    press_and_load(page)

    # The first Tab on a page shows the skip link; Enter on it lands in the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert_focus_is_visible(page)
    if screen is PHONE:
        assert_escape_closes_the_menu(page)
    tab_to_section(page, "Chatbots")
    assert_focus_is_visible(page)
    press_and_load(page)

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name")).to_be_focused()
    assert_focus_is_visible(page)
    page.keyboard.type("Help desk")
    press_and_load(page)  # Enter in the only field submits Create chatbot
    expect(page.get_by_role("heading", level=1)).to_contain_text("Help desk")

    text_form = page.get_by_role("form", name="Text")
    tab_to(page, text_form.get_by_label("Title"))
    page.keyboard.type("Opening hours")
    page.keyboard.press("Tab")
    expect(text_form.get_by_label("Text")).to_be_focused()
    page.keyboard.type(f"Opening hours\n\n{HOURS}")
    page.keyboard.press("Tab")
    expect(text_form.get_by_role("button", name="Add text")).to_be_focused()
    assert_focus_is_visible(page)
    press_and_load(page)
    expect(source_row(page, "Opening hours")).to_contain_text("Ready")

    tab_to_section(page, "Install", backwards=True)
    press_and_load(page)
    tab_to(page, page.get_by_role("button", name="Copy the snippet for Help desk"))
    assert_focus_is_visible(page)
    page.keyboard.press("Space")
    expect_copied(page, "Help desk")
    assert page.evaluate("navigator.clipboard.readText()") == page.get_by_label("Embed snippet").input_value()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Preview Help desk")).to_be_focused()
    press_and_load(page)

    tab_to(page, page.get_by_role("button", name="Open chat"))
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message")).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text(HOURS)
    tab_to(page, page.get_by_role("button", name="Leave your details"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Name"))
    page.keyboard.type("Dana Visitor")
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type("dana@example.org")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("Thanks! We'll be in touch soon.")

    tab_to_section(page, "Leads", backwards=True)
    press_and_load(page)
    tab_to(page, page.get_by_label("Search"))
    page.keyboard.type("dana@example.org")
    press_and_load(page)
    expect(lead_row(page, "dana@example.org")).to_contain_text("Dana Visitor")
    tab_to(page, page.get_by_role("link", name="Export CSV"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert_exported(exported_rows(download.value), "Dana Visitor", "dana@example.org", "Help desk")

    tab_to_section(page, "Conversations", backwards=True)
    press_and_load(page)
    tab_to(page, page.get_by_role("link", name=re.compile(r"UTC, transcript")))
    press_and_load(page)
    expect(page.locator("main")).to_contain_text(QUESTION)
    expect(page.locator("main")).to_contain_text(HOURS)
