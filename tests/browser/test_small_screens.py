"""Every dashboard page on a 390px phone and a 1280px laptop, with data in it (issue #18), the
confirmation pages and Confirm your password included: no page is wider than the screen (tables
scroll inside their card), every button and link is reachable and big enough to tap, the
navigation folds behind Menu on the phone, the Content-Security-Policy is never violated, and
buttons repeated per row are named by what they act on."""

import re
from pprint import pformat
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from apikeys.models import ApiKey
from chatbots.models import Chatbot
from sources.models import Source
from tests.conftest import make_account, make_member
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from widget.services import answer_message, capture_lead, start_conversation

from .test_api_key_flow import confirm_password, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
MAIN_SECTIONS = ["Chatbots", "Conversations", "Leads", "Usage", "Install", "Settings"]
MIN_TARGET = 24  # px


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def violations(page):
    """Every CSP violation the pages report (Chromium logs each as a console error)."""
    found = []
    page.on("console", lambda message: "Content Security Policy" in message.text and found.append(message.text))
    return found


@pytest.fixture
def busy_account(live_server):
    """An account with two of everything a page lists per row; returns the pages' paths."""
    account = make_account("Alice Co", plan="starter")
    alice = make_member(account, "alice@example.com", Membership.Role.OWNER)
    help_desk = Chatbot.objects.create(account=account, name="Help desk")
    Chatbot.objects.create(account=account, name="Sales desk")
    sources = [
        Source.objects.create(account=account, chatbot=help_desk, type=Source.Type.TEXT, title=title,
                              content=text, status=Source.Status.READY)
        for title, text in [("Opening hours", "We are open from 8 am to 6 pm."), ("Parking", "Parking is free for visitors.")]
    ]
    conversations, leads = [], []
    for name, email in [("Dana Visitor", "dana@example.org"), ("Erin Visitor", "erin@example.org")]:
        conversation, _ = start_conversation(chatbot=help_desk, visitor_id=f"visitor-{name.split()[0].lower()}")
        answer_message(conversation=conversation, content="When are you open?")
        leads.append(capture_lead(conversation=conversation, name=name, email=email)[0])
        conversations.append(conversation)
    keys = [ApiKey.objects.create_key(account=account, label=label, created_by=alice)[0]
            for label in ["CRM sync", "Reporting dashboard"]]
    # Endpoints come after the leads, so no delivery is sent anywhere; each gets one finished one.
    endpoints = []
    for url in ["https://hooks.example.com/pivra", "https://crm.example.net/webhooks/pivra"]:
        endpoint = WebhookEndpoint.objects.create_endpoint(account=account, url=url, events=["lead.created"])
        endpoints.append(endpoint)
        delivery = Delivery.objects.create(account=account, endpoint=endpoint, event_id=f"evt_{endpoint.pk[-12:]}",
                                           event_type="lead.created", payload="{}", status=Delivery.Status.SUCCEEDED,
                                           attempt_count=1)
        DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now() - timedelta(minutes=5),
                                       status_code=200, duration_ms=120, succeeded=True)
    return {
        "chatbots": "/chatbots/",
        "chatbot": f"/chatbots/{help_desk.pk}/",
        "conversations": "/conversations/",
        "conversation": f"/conversations/{conversations[0].pk}/",
        "leads": "/leads/",
        "usage": "/usage/",
        "install": "/install/",
        "preview": f"/install/{help_desk.pk}/preview/",
        "security": "/settings/security/",
        "webhooks": "/settings/webhooks/",
        "plans": "/settings/plans/",
        "two-factor": "/accounts/two-factor/",
        "change password": "/accounts/password/change/",
        "getting started": "/docs/getting-started/",
        # The pages that ask before an action is done (GETs: no password is asked for yet).
        "edit a key": f"/settings/security/keys/{keys[0].pk}/edit/",
        "roll a key": f"/settings/security/keys/{keys[0].pk}/roll/",
        "revoke a key": f"/settings/security/keys/{keys[0].pk}/revoke/",
        "delete a chatbot": f"/chatbots/{help_desk.pk}/delete/",
        "delete a source": f"/chatbots/{help_desk.pk}/sources/{sources[0].pk}/delete/",
        "delete a lead": f"/leads/{leads[0].pk}/delete/",
        "regenerate an embed key": f"/install/{help_desk.pk}/regenerate-embed-key/",
        "delete a webhook endpoint": f"/settings/webhooks/{endpoints[0].pk}/delete/",
    }


CONTROLS = """[...document.querySelectorAll(
        "main a[href], main button, main summary, main input[type=checkbox], main input[type=radio]")]
    .filter(element => element.checkVisibility() && !element.closest(".visually-hidden"))"""

# Where each control is across the page once scrolled into view as a person would, inside its
# table's scrolling card if it is in one (the page itself must not need sideways scrolling).
REACH = f"""() => {CONTROLS}.map(element => {{
    element.scrollIntoView({{block: "nearest", inline: "nearest"}});
    const box = element.getBoundingClientRect();
    return {{name: (element.getAttribute("aria-label") || element.textContent).trim().slice(0, 60),
             left: Math.round(box.left + scrollX), right: Math.round(box.right + scrollX)}};
}})"""

# WCAG 2.2's target size minimum (2.5.8): at least 24 by 24 px, or a 24 px circle centred on the
# target touches no other target (nor another small target's circle), or a link in a sentence.
# A checkbox's target is its label, which toggles it too.
SMALL = f"""() => {{
    const targets = {CONTROLS}.map(element => (element.matches("input") && element.closest("label")) || element);
    const boxes = targets.map(element => {{
        const box = element.getBoundingClientRect();
        return {{element, left: box.left + scrollX, top: box.top + scrollY, right: box.right + scrollX,
                 bottom: box.bottom + scrollY, x: box.left + scrollX + box.width / 2, y: box.top + scrollY + box.height / 2,
                 small: box.width < {MIN_TARGET} - 0.5 || box.height < {MIN_TARGET} - 0.5}};
    }});
    const inSentence = element => {{
        if (getComputedStyle(element).display !== "inline") return false;
        let node = element;  // from a link in <strong>, look beside the <strong>
        while (getComputedStyle(node.parentElement).display === "inline") node = node.parentElement;
        return [node.previousSibling, node.nextSibling].some(text => text?.nodeType === Node.TEXT_NODE && /\\w/.test(text.textContent));
    }};
    const circleTouches = (a, b) => {{
        const dx = Math.max(b.left - a.x, 0, a.x - b.right), dy = Math.max(b.top - a.y, 0, a.y - b.bottom);
        return dx * dx + dy * dy < ({MIN_TARGET} / 2) ** 2 || (b.small && Math.hypot(a.x - b.x, a.y - b.y) < {MIN_TARGET});
    }};
    return boxes.filter(a => a.small && !inSentence(a.element) && boxes.some(b =>
            b !== a && !a.element.contains(b.element) && !b.element.contains(a.element) && circleTouches(a, b)))
        .map(a => ({{name: (a.element.getAttribute("aria-label") || a.element.textContent).trim().slice(0, 60),
                     width: Math.round(a.right - a.left), height: Math.round(a.bottom - a.top)}}));
}}"""


def main_navigation(page):
    return page.get_by_role("navigation", name="Main")


def assert_the_menu_folds_on_a_phone(page):
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(main_navigation(page)).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    assert_the_six_sections_are_shown(page)


def assert_the_six_sections_are_shown(page):
    links = main_navigation(page).get_by_role("link")
    expect(links).to_have_text(MAIN_SECTIONS)
    for link in links.all():
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box["height"] >= MIN_TARGET, (link.text_content(), box)


def problems_on(page, screen):
    """What is wrong with the page shown, at `screen`: {problem: detail} of those found."""
    expect(page.locator("main h1")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    found = {
        "page wider than the screen": width if width > screen["width"] else None,
        "too small to tap": page.evaluate(SMALL),
        "out of reach": [c for c in page.evaluate(REACH) if c["left"] < 0 or c["right"] > screen["width"]],
    }
    page.evaluate("window.scrollTo(0, 0)")
    if screen is PHONE:
        assert_the_menu_folds_on_a_phone(page)
    else:
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        assert_the_six_sections_are_shown(page)
    return {problem: detail for problem, detail in found.items() if detail}


@pytest.mark.parametrize("screen", [PHONE, LAPTOP], ids=["390px", "1280px"])
def test_every_page_fits_the_screen_with_every_control_reachable_and_big_enough(page, busy_account, violations, screen):
    page.set_viewport_size(screen)
    log_in(page, "alice@example.com")
    problems = {}
    for name, path in busy_account.items():
        page.goto(path)
        if found := problems_on(page, screen):
            problems[name] = found

    # The session's first key, embed-key or webhook action asks for the password first.
    page.goto(busy_account["regenerate an embed key"])
    page.get_by_role("button", name="Confirm").click()
    confirm_password(page)
    if found := problems_on(page, screen):
        problems["confirm your password"] = found
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("Help desk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Install → Embed code")

    assert problems == {}, pformat(problems)
    assert violations == []


# Pages with actions repeated per row or per card: each button and link says what it acts on.
PAGES_WITH_ROWS = ["chatbot", "leads", "install", "security", "webhooks"]
# A line such as `- button "Copy"`; YAML puts the whole line in single quotes when a name holds ": ".
CONTROL = re.compile(r'^\s*- \'?(button|link) "((?:[^"\\]|\\.)*)"', re.MULTILINE)


def control_names(page):
    """(role, accessible name) of every button and link in <main>, from its accessibility tree."""
    return CONTROL.findall(page.locator("main").aria_snapshot())


def repeated_names(page, busy_account, pages):
    page.set_viewport_size(LAPTOP)
    log_in(page, "alice@example.com")
    duplicates = {}
    for name in pages:
        page.goto(busy_account[name])
        expect(page.locator("main h1")).to_be_visible()
        names = control_names(page)
        assert len(names) >= 3, (name, names)  # the page has its rows
        if repeated := sorted({control for control in names if names.count(control) > 1}):
            duplicates[name] = repeated
    return duplicates


def test_buttons_and_links_repeated_per_row_are_named_by_what_they_act_on(page, busy_account):
    duplicates = repeated_names(page, busy_account, PAGES_WITH_ROWS)
    assert duplicates == {}, pformat(duplicates)


def test_transcript_links_are_named_by_their_conversation(page, busy_account):
    duplicates = repeated_names(page, busy_account, ["conversations"])
    assert duplicates == {}, pformat(duplicates)
