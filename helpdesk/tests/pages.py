"""One rule for tests that assert something is *not* on a page.

A 404, a login redirect or an empty page contains no phone number either, so a
test first proves it is looking at the right page: `html_of(response, *expected)`
asserts status 200 and that each expected text is there, then returns the HTML
for the absence checks.
"""

from __future__ import annotations


def html_of(response, *expected: str, status: int = 200) -> str:
    assert response.status_code == status, f"status {response.status_code}, expected {status}"
    html = response.content.decode()
    for text in expected:
        assert text in html, f"{text!r} is not on the page"
    return html
