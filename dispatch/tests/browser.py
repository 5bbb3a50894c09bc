"""Staff in the browser tests: one way to sign in through admin's login form (Playwright's sync API).

`staff_login(page, live_server, user)` signs in on a page the test already has (a counted
journey, an axe-core context); `staff_page(browser, live_server, user)` opens a desk-sized
context of its own first. Both return on `next_path` after the redirect, so the next step
reads a loaded page. Every factory user has `factories.PASSWORD`.
"""

from __future__ import annotations

from dispatch.tests import factories

DESK = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000


def staff_login(page, live_server, user, *, next_path: str = "/admin/"):
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", factories.PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")
    return page


def staff_page(browser, live_server, user, *, next_path: str = "/admin/", viewport: dict | None = None):
    """A new zh-CN context signed in as `user` (close it with `page.context.close()`)."""
    context = browser.new_context(locale="zh-CN", viewport=viewport or DESK)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return staff_login(page, live_server, user, next_path=next_path)
