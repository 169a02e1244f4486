"""Moving around the dashboard as a person does: through the navigation, opening the Menu first
on a phone, where the main navigation folds behind it."""

from playwright.sync_api import expect


def open_section(page, name, subsection=None):
    """Click the main navigation's link `name` (then the Settings navigation's `subsection`)."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
        menu.click()
    with page.expect_navigation():  # also when it is already open: wait for the fresh page
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    if subsection:
        with page.expect_navigation():
            page.get_by_role("navigation", name="Settings").get_by_role("link", name=subsection, exact=True).click()
    # On a phone the fresh page has the navigation folded again: the link is there, hidden.
    main = page.get_by_role("navigation", name="Main", include_hidden=True)
    expect(main.get_by_role("link", name=name, exact=True, include_hidden=True)).to_have_attribute("aria-current", "page")
