"""The documented API-key flow, done in Chromium as a person would: log in, open Settings →
Security, create a key, copy it, use it, revisit the page, revoke it."""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from apikeys.models import ApiKey
from tests.conftest import PASSWORD, make_account, make_member

from .navigation import logged_in_as, open_section

# The live server reads the database from another thread, so the data must be committed
# (transactional_db). Its flush after each test would also empty the plans seeded by a
# migration; serialized_rollback puts them back for the next test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KEY_PATTERN = re.compile(r"^pivra_sk_[A-Za-z0-9]{27,}$")


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    logged_in_as(page, email)


def confirm_password(page):
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)


def open_security(page):
    open_section(page, "Settings", "Security")
    expect(page).to_have_url(re.compile(r"/settings/security/$"))
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()


def key_row(page, label):
    """The rows of the keys tables (working keys, then revoked ones) whose Label is `label`."""
    keys_tables = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Last used"))
    return keys_tables.get_by_role("row").filter(has=page.get_by_role("cell", name=label, exact=True))


def cell(page, row, column):
    """The cell of `row` under the column headed `column` (of the table `row` is in)."""
    headers = row.first.locator("xpath=ancestor::table[1]").get_by_role("columnheader").all_inner_texts()
    return row.get_by_role("cell").nth([h.strip() for h in headers].index(column))


def get_usage(live_server, raw_key):
    """GET /api/usage as an integration would; returns (status, headers, parsed JSON body)."""
    request = urllib.request.Request(
        f"{live_server.url}/api/usage",
        headers={"Authorization": f"Bearer {raw_key}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.loads(error.read())


def test_an_owner_creates_copies_uses_and_revokes_a_key(page, live_server):
    account = make_account("Alice Co", plan="starter")
    make_member(account, "alice@example.com", Membership.Role.OWNER)

    log_in(page, "alice@example.com")
    open_security(page)

    page.get_by_label("Label").fill("Zapier integration")
    page.get_by_role("button", name="Create").click()
    # The session's first key action asks for the password, then carries on with it.
    confirm_password(page)
    with page.expect_response(lambda r: r.request.method == "POST") as created:
        page.get_by_role("button", name="Confirm").click()
    assert created.value.status == 200
    assert "no-store" in created.value.headers["cache-control"]

    new_key = page.get_by_role("alert").filter(has_text="Zapier integration")
    expect(new_key).to_contain_text("shown only once")
    key_field = page.get_by_label("New API key")
    expect(key_field).to_have_value(re.compile(r"^pivra_sk_"))
    raw_key = key_field.input_value()
    assert KEY_PATTERN.match(raw_key), raw_key

    new_key.get_by_role("button", name="Copy").click()
    expect(new_key.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw_key

    status, _, body = get_usage(live_server, raw_key)
    assert status == 200, body
    assert body["plan"]["code"] == "starter"

    # Shown once: reloading (a plain GET now, not the Create form again) and revisiting both leave it out.
    page.reload()
    expect(page.get_by_label("New API key")).to_have_count(0)
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    assert raw_key not in page.content()
    open_security(page)
    expect(page.get_by_label("New API key")).to_have_count(0)
    assert raw_key not in page.content()
    row = key_row(page, "Zapier integration")
    expect(row).to_have_count(1)  # and the resubmission did not make a second key
    expect(cell(page, row, "Key")).to_have_text(f"pivra_sk_…{raw_key[-4:]}")
    expect(cell(page, row, "Created by")).to_have_text("alice@example.com")
    # The key was just used, so the list says when instead of "Never", the exact time on hover.
    last_used = cell(page, row, "Last used")
    expect(last_used).to_have_text(re.compile(r"^(now|\d+\s(second|minute)s? ago)$"))
    expect(last_used.locator("time")).to_have_attribute("title", re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$"))
    expect(cell(page, row, "Status")).to_have_text("Active")

    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke “Zapier integration”?")).to_be_visible()
    expect(page.get_by_text("will be refused immediately")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/settings/security/$"))
    expect(page.get_by_role("status")).to_contain_text("Revoked Zapier integration")
    row = key_row(page, "Zapier integration")
    expect(page.get_by_role("table", name="Revoked keys").get_by_role("row").filter(has_text="Zapier integration")).to_have_count(1)
    expect(cell(page, row, "Status")).to_contain_text("Revoked")
    expect(row.get_by_role("link", name="Revoke")).to_have_count(0)
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)

    status, headers, body = get_usage(live_server, raw_key)
    assert status == 401, body
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert body["code"] == "invalid_api_key"
    assert raw_key not in json.dumps(body)


def test_a_member_sees_the_keys_but_cannot_create_or_revoke_them(page):
    account = make_account("Alice Co", plan="starter")
    alice = make_member(account, "alice@example.com", Membership.Role.OWNER)
    make_member(account, "bob@example.com", Membership.Role.MEMBER)
    ApiKey.objects.create_key(account=account, label="CRM sync", created_by=alice)
    ApiKey.objects.create_key(account=account, label="Dashboard", created_by=alice)

    log_in(page, "bob@example.com")
    open_security(page)

    expect(key_row(page, "CRM sync")).to_have_count(1)
    expect(key_row(page, "Dashboard")).to_have_count(1)
    expect(page.get_by_text("Only owners and admins can create or revoke API keys.")).to_be_visible()
    expect(page.get_by_label("Label")).to_have_count(0)
    expect(page.get_by_role("button", name="Create")).to_have_count(0)
    expect(page.get_by_role("link", name="Revoke")).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)


def test_an_owner_on_the_free_plan_is_told_keys_need_the_starter_plan(page):
    account = make_account("Freebie", plan="free")
    make_member(account, "frank@example.com", Membership.Role.OWNER)

    log_in(page, "frank@example.com")
    open_security(page)

    expect(page.get_by_text("API keys need the Starter plan")).to_be_visible()
    expect(page.get_by_label("Label")).to_have_count(0)
    expect(page.get_by_role("button", name="Create")).to_have_count(0)
    expect(page.get_by_text("No API keys yet.")).to_be_visible()


PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}


def create_key(page, label):
    """Create a key on Settings → Security (confirming the password); returns the key shown."""
    page.get_by_label("Label").fill(label)
    page.get_by_role("button", name="Create").click()
    confirm_password(page)
    page.get_by_role("button", name="Confirm").click()
    return page.get_by_label("New API key").input_value()


def expect_the_plain_page(page, raw_key, label):
    """Settings → Security as a GET shows it: no key, no error, the key listed once."""
    expect(page).to_have_url(re.compile(r"/settings/security/$"))
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    expect(page.get_by_label("New API key")).to_have_count(0)
    expect(page.locator(".errors")).to_have_count(0)
    assert raw_key not in page.content()
    expect(key_row(page, label)).to_have_count(1)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_reloading_or_going_back_and_forward_after_create_never_sends_the_form_again(page, viewport):
    page.set_viewport_size(viewport)
    account = make_account("Alice Co", plan="starter")
    make_member(account, "alice@example.com", Membership.Role.OWNER)
    log_in(page, "alice@example.com")
    open_security(page)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    raw_key = create_key(page, "Zapier integration")
    assert KEY_PATTERN.match(raw_key)
    sent = len(posts)  # the Create form, then the password confirmation

    page.reload()
    expect_the_plain_page(page, raw_key, "Zapier integration")
    page.go_back()  # the page before Create
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    page.go_forward()
    expect_the_plain_page(page, raw_key, "Zapier integration")
    page.go_back()
    page.go_back()
    page.go_forward()
    page.go_forward()
    expect_the_plain_page(page, raw_key, "Zapier integration")

    assert len(posts) == sent
    assert ApiKey.objects.filter(account=account).count() == 1


def test_without_javascript_a_resent_create_form_makes_nothing_and_shows_the_plain_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        account = make_account("Alice Co", plan="starter")
        make_member(account, "alice@example.com", Membership.Role.OWNER)
        log_in(page, "alice@example.com")
        page.goto("/settings/security/")
        raw_key = create_key(page, "Zapier integration")

        with page.expect_response(lambda r: r.request.method == "POST") as resent:
            page.reload()  # without the history rewrite, the browser sends the form again
        assert resent.value.status == 303
        expect_the_plain_page(page, raw_key, "Zapier integration")
        expect(page.get_by_role("status")).to_contain_text("That form was sent again, so nothing new was made")
        assert ApiKey.objects.filter(account=account).count() == 1
    finally:
        context.close()
