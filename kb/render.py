"""Answers' Markdown to HTML that is safe to put on a page.

`markdown` renders, then `nh3` (the Rust ammonia sanitizer) keeps only a small
set of tags and attributes: raw HTML typed into an answer, a `javascript:`
link or an `onerror=` attribute never reaches a page. Links open as plain
links with `rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

import markdown as md  # type: ignore[import-untyped]
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "h5", "blockquote", "code", "hr"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "tel", "mailto"}


def markdown_render(text: str) -> SafeString:
    html = md.markdown(text or "", extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow"
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
