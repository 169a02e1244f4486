"""Settings → Webhooks in Chromium on a 390px phone: add an endpoint (confirming the password
first), copy its secret, send a test event, and read the delivery in a table that scrolls inside
its card while the page itself does not."""

import re

import pytest
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from accounts.models import Membership
from tests.conftest import PASSWORD, make_account, make_member
from tests.webhooks import Receiver

from .navigation import open_section
from .test_api_key_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def receiver(settings):
    server = Receiver()
    settings.OUTBOUND_PRIVATE_ALLOWLIST = [f"127.0.0.1:{server.port}"]  # the live server shares these settings
    yield server
    server.stop()


def test_an_owner_adds_an_endpoint_copies_its_secret_and_sees_a_test_delivery_on_a_phone(
    page, receiver, run_jobs
):
    account = make_account("Alice Co", plan="starter")
    make_member(account, "alice@example.com", Membership.Role.OWNER)
    page.set_viewport_size(PHONE)

    log_in(page, "alice@example.com")
    open_section(page, "Settings", "Webhooks")
    expect(page.get_by_role("heading", name="Add endpoint")).to_be_visible()

    page.get_by_label("Endpoint URL").fill(receiver.url())
    expect(page.get_by_role("checkbox", name=re.compile("lead.created"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("message.created"))).not_to_be_checked()
    page.get_by_role("button", name="Add endpoint").click()

    # The first management action of the session: the password first, then the action goes on.
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    panel = page.get_by_role("alert").filter(has_text="shown only once")
    expect(panel).to_be_visible()
    secret = page.get_by_label("Signing secret").input_value()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
    panel.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == secret

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_role("status")).to_contain_text("A test event is on its way")
    run_jobs()  # PostgreSQL: a worker sends it (on SQLite it went as the click's change committed)
    [request] = receiver.wait_for(1)
    assert Webhook(secret).verify(request["body"], request["headers"])["type"] == "webhook.test"

    page.reload()
    row = page.get_by_role("row").filter(has_text="webhook.test")
    expect(row).to_contain_text("200")
    expect(row.get_by_role("button", name="Resend")).to_be_visible()
    scroller = page.locator(".table-scroll").first
    assert scroller.evaluate("element => element.scrollWidth > element.clientWidth")  # the table scrolls in its card
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the page does not
