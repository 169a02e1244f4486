"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against a live server.

`live_server` (pytest-django) runs the app in a thread of this process, so the data a test
creates must be committed: browser tests use `transactional_db`, never `db`.
"""

import os

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def _playwright(django_db_setup):
    # Playwright's sync API leaves its asyncio loop marked as running in this thread, so Django
    # takes the thread for async code: it refuses ORM calls (SynchronousOnlyOperation) and hands
    # out new connection objects, which lack the test database's serialized contents (the plans
    # that serialized_rollback restores). These tests are synchronous: allow the calls and keep
    # the connections the test database was set up on (django_db_setup runs first for that).
    saved = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            for alias, connection in saved.items():
                connections[alias] = connection
            yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium).")
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser_context(browser, live_server):
    """A fresh context (no cookies) whose pages may read and write the clipboard on the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()
