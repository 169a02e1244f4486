"""The key lifecycle in Chromium, on a 390px phone as on a desktop: create a key with an expiry and
Restricted permissions (confirming the password first), then roll it with an overlap."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from apikeys.models import ApiKey
from tests.conftest import make_account, make_member

from .test_api_key_flow import cell, confirm_password, get_usage, key_row, log_in, open_security

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_an_owner_creates_a_restricted_expiring_key_and_rolls_it(page, live_server, viewport):
    page.set_viewport_size(viewport)
    account = make_account("Alice Co", plan="starter")
    make_member(account, "alice@example.com", Membership.Role.OWNER)
    log_in(page, "alice@example.com")
    open_security(page)

    page.get_by_label("Label").fill("CRM sync")
    page.get_by_label("Expires").select_option(label="30 days")
    expect(page.get_by_label("Expiry date")).to_be_hidden()  # only for a custom date
    expect(page.get_by_label("Leads")).to_be_hidden()  # only for Restricted keys
    page.get_by_label("Permissions").select_option(label="Restricted")
    page.get_by_label("Leads").select_option(label="Read")
    page.get_by_label("Usage").select_option(label="Read")
    page.get_by_role("button", name="Create").click()
    confirm_password(page)
    page.get_by_role("button", name="Confirm").click()

    first_key = page.get_by_label("New API key").input_value()
    row = key_row(page, "CRM sync")
    expect(cell(page, row, "Permissions")).to_have_text("Restricted")
    expect(cell(page, row, "Expires")).to_have_text(re.compile(r"\(in 30 days\)$"))
    status, _, body = get_usage(live_server, first_key)
    assert status == 200, body
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # the table scrolls in its card

    # Roll, keeping the old key working for 7 days.
    row.get_by_role("link", name="Roll").click()
    expect(page.get_by_role("heading", name="Roll “CRM sync”")).to_be_visible()
    page.get_by_label("7 days").check()
    page.get_by_role("button", name="Roll key").click()  # confirmed a moment ago: no password asked
    new_key = page.get_by_label("New API key").input_value()
    assert new_key != first_key
    expect(page.get_by_role("alert")).to_contain_text("It replaces")

    rows = key_row(page, "CRM sync")
    expect(rows).to_have_count(2)
    old = ApiKey.objects.get(last_four=first_key[-4:], label="CRM sync")
    expect(cell(page, rows.filter(has_text=old.hint), "Status")).to_contain_text("Replaced by")
    assert get_usage(live_server, first_key)[0] == 200
    assert get_usage(live_server, new_key)[0] == 200
    assert ApiKey.objects.get(last_four=new_key[-4:], rolled_at__isnull=True).resource_levels == {
        "leads": "read", "usage": "read",
    }


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_reloading_or_going_back_and_forward_after_a_roll_never_rolls_again(page, viewport):
    page.set_viewport_size(viewport)
    account = make_account("Alice Co", plan="starter")
    alice = make_member(account, "alice@example.com", Membership.Role.OWNER)
    ApiKey.objects.create_key(account=account, label="CRM sync", created_by=alice)
    log_in(page, "alice@example.com")
    open_security(page)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    key_row(page, "CRM sync").get_by_role("link", name="Roll").click()
    page.get_by_label("7 days").check()
    page.get_by_role("button", name="Roll key").click()
    confirm_password(page)
    page.get_by_role("button", name="Confirm").click()
    new_key = page.get_by_label("New API key").input_value()
    sent = len(posts)

    for move in (page.reload, page.go_back, page.go_forward, page.reload):
        move()
        expect(page.get_by_role("heading", name=re.compile(r"^(API Keys|Roll “CRM sync”)$"))).to_be_visible()
        expect(page.get_by_label("New API key")).to_have_count(0)
        expect(page.locator(".errors")).to_have_count(0)
        assert new_key not in page.content()
    expect(page).to_have_url(re.compile(r"/settings/security/$"))
    expect(key_row(page, "CRM sync")).to_have_count(2)  # the old key, still working, and the new one
    assert len(posts) == sent
    assert ApiKey.objects.filter(account=account).count() == 2
