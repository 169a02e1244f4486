"""The Content-Security-Policy in Chromium: the pages work under it, and it is never violated."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from tests.conftest import make_account, make_member

from .test_api_key_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def violations(page):
    """Every CSP violation the page reports (Chromium logs each as a console error)."""
    found = []
    page.on("console", lambda message: "Content Security Policy" in message.text and found.append(message.text))
    return found


def test_the_api_reference_renders_its_operations_under_the_policy(page, violations):
    page.goto("/api/docs/")
    expect(page.get_by_text("GET", exact=True).first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/leads").first).to_be_visible()
    assert violations == []


def test_settings_pages_work_under_the_policy_at_phone_width(page, violations):
    account = make_account("Alice Co")
    make_member(account, "alice@example.com", Membership.Role.OWNER)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "alice@example.com")
    for path in ["/settings/security/", "/settings/webhooks/", "/install/", "/docs/getting-started/"]:
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
    page.goto("/settings/security/")
    page.get_by_label("Expires").select_option("custom")  # shown-when.js, a script file, runs
    expect(page.get_by_label("Expiry date")).to_be_visible()
    assert violations == []
