"""Change password in Chromium on a 390px phone: from the user menu, a wrong current password
shown by its field, then the change; the page fits the screen and keeps to the CSP."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, User
from tests.conftest import PASSWORD, make_account, make_member

from .test_api_key_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"width": 390, "height": 844}


def test_a_user_changes_their_password_on_a_phone(page):
    make_member(make_account("Alice Co"), "alice@example.com", Membership.Role.OWNER)
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.set_viewport_size(PHONE)
    log_in(page, "alice@example.com")
    page.get_by_role("link", name="Change password").first.click()
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a different horse, still stapled")
    page.get_by_label("Confirm new password").fill("a different horse, still stapled")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#id_old_password_error")).to_have_text("That is not your current password.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a different horse, still stapled")
    page.get_by_label("Confirm new password").fill("a different horse, still stapled")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    assert User.objects.get(email="alice@example.com").check_password("a different horse, still stapled")
    assert violations == []


def test_forgot_your_password_is_on_the_login_page(page):
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
