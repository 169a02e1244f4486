"""Moving around the dashboard as a person does: through the navigation, opening the Menu first
on a phone, where the main navigation folds behind it."""

from playwright.sync_api import expect


FOLDS_AT = 760  # px: pivra.css folds the navigation behind Menu at this width and below


def open_menu(page):
    """On a phone, open the Menu (the main navigation and the user's links); elsewhere nothing.

    Decided by the screen's width, not by whether Menu shows yet: menu.js shows it once the page
    has loaded, and a page caught before that would be left with its navigation folded."""
    if page.viewport_size["width"] > FOLDS_AT:
        return
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    if menu.get_attribute("aria-expanded") == "false":
        menu.click()


def logged_in_as(page, email):
    open_menu(page)
    expect(page.get_by_role("banner").get_by_text(email, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page):
    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def open_section(page, name, subsection=None):
    """Click the main navigation's link `name` (then the Settings navigation's `subsection`)."""
    open_menu(page)
    with page.expect_navigation():  # also when it is already open: wait for the fresh page
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    if subsection:
        with page.expect_navigation():
            page.get_by_role("navigation", name="Settings").get_by_role("link", name=subsection, exact=True).click()
    expect(page.locator('nav[aria-label="Main"] a[aria-current="page"]')).to_have_text(name)
