"""长辈版 (larger text): the citizen's display preference, kept in a cookie.

No account and no JavaScript: a button in the public layout posts to
`views.text_size`, which sets or clears the cookie and redirects back; this
context processor gives every template `large_text`, and the layouts put
`class="text-large"` on <html> (static/css/site.css does the rest).
"""

from __future__ import annotations

from django.http import HttpRequest

TEXT_SIZE_COOKIE = "yibang_text_size"
LARGE = "large"
# A year: the preference belongs to the device, like the language cookie.
TEXT_SIZE_COOKIE_AGE = 365 * 24 * 60 * 60


def large_text(request: HttpRequest) -> bool:
    return request.COOKIES.get(TEXT_SIZE_COOKIE) == LARGE


def display(request: HttpRequest) -> dict[str, bool]:
    """Context processor: `large_text` is True when the 长辈版 is on."""
    return {"large_text": large_text(request)}
