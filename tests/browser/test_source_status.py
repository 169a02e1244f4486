"""A chatbot's sources in Chromium on a 390px phone: a URL source added as Pending turns Ready on
the page, without a reload, once its job has fetched it, and the change is announced."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from accounts.models import Membership
from chatbots.models import Chatbot
from sources.models import Source
from tests.conftest import make_account, make_member
from tests.sources import ServerPool
from tests.sources import page as web_page

from .test_api_key_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
HELP_CENTRE = "<html><head><title>Help centre</title></head><body><p>We ship to Ireland in 3 days.</p></body></html>"


@pytest.fixture
def site(settings):
    with ServerPool() as servers:
        servers.allow_all(settings)  # the live server and the worker share these settings
        yield servers.start({"/help": web_page(HELP_CENTRE)})


@pytest.fixture
def chatbot():
    account = make_account("Alice Co", plan="starter")
    make_member(account, "alice@example.com", Membership.Role.OWNER)
    return Chatbot.objects.create(account=account, name="Support bot")


def status_cell(page, name):
    return page.get_by_role("row").filter(has_text=name).locator(".source-status")


def news(page):
    return page.locator("[aria-live=polite]#source-status-news")


def open_chatbot(page, chatbot):
    log_in(page, "alice@example.com")  # at the default width, where Log out shows without the Menu
    page.set_viewport_size(PHONE)
    page.goto(f"/chatbots/{chatbot.pk}/")
    page.evaluate("window.notReloaded = true")  # gone if the page is loaded again


@pytest.mark.skipif(connection.vendor != "postgresql", reason="on SQLite the job runs inline: the new source is ready at once")
def test_an_owner_adds_a_url_source_and_sees_it_turn_ready_without_reloading(page, chatbot, site, run_jobs):
    open_chatbot(page, chatbot)
    page.get_by_role("textbox", name="URL", exact=True).fill(site.url("/help"))
    page.get_by_role("button", name="Add URL").click()
    expect(page.get_by_role("status").filter(has_text="the page is being fetched")).to_be_visible()
    expect(status_cell(page, site.url("/help"))).to_have_text("Pending")
    page.evaluate("window.notReloaded = true")

    run_jobs()  # a worker fetches the page; the page's script notices within a couple of seconds

    expect(status_cell(page, site.url("/help"))).to_have_text("Ready")
    expect(news(page)).to_have_text("Help centre is ready.")
    assert page.evaluate("window.notReloaded") is True
    assert Source.objects.get(chatbot=chatbot).status == "ready"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling


def test_a_pending_source_shows_its_failure_and_reason_as_soon_as_it_fails(page, chatbot):
    source = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", title="FAQ page",
                                   url="https://example.com/faq", status=Source.Status.PROCESSING)
    ready = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="text", title="Shipping",
                                  content="We ship in 3 days.", status=Source.Status.READY)
    open_chatbot(page, chatbot)
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/sources/status/" in request.url else None)
    expect(status_cell(page, "FAQ page")).to_have_text("Processing")

    Source.objects.filter(pk=source.pk).update(status=Source.Status.FAILED, error="The page answered 404 Not Found.")

    cell = status_cell(page, "FAQ page")
    expect(cell.locator(".badge.off")).to_have_text("Failed")
    expect(cell.locator(".failure")).to_have_text("The page answered 404 Not Found.")
    expect(news(page)).to_have_text("FAQ page failed: The page answered 404 Not Found.")
    expect(status_cell(page, ready.title)).to_have_text("Ready")
    assert page.evaluate("window.notReloaded") is True
    assert all(url.endswith(f"?id={source.pk}") for url in asked)  # only the source in progress is asked about
    polls = len(asked)
    page.wait_for_timeout(3000)
    assert len(asked) == polls  # nothing is left in progress: the polling stopped
