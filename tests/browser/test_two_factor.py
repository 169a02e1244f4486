"""Two-factor authentication in Chromium on a 390px phone: set it up from Settings → Security
(the QR code loads under the CSP), save the recovery codes, log out, log in with a code."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accounts.models import Membership
from tests.conftest import PASSWORD, make_account, make_member

from .navigation import logged_in_as, log_out
from .test_api_key_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"width": 390, "height": 844}


def code_from_secret(secret, steps_ahead=0):
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def test_a_user_sets_up_two_factor_and_logs_in_with_a_code_on_a_phone(page):
    make_member(make_account("Alice Co"), "alice@example.com", Membership.Role.OWNER)
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.set_viewport_size(PHONE)
    log_in(page, "alice@example.com")
    page.get_by_role("link", name="Set up two-factor authentication").click()
    qr_code = page.get_by_alt_text("QR code for your authenticator app")
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("image => image.naturalWidth") > 0  # the data: URI loaded
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    secret = page.locator("code.secret").inner_text()

    page.get_by_label("Code").fill(code_from_secret(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.locator(".recovery-codes li").count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    log_out(page)
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(code_from_secret(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    logged_in_as(page, "alice@example.com")
    expect(page.get_by_role("link", name="Manage two-factor authentication")).to_be_visible()
    assert violations == []
