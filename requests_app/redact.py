"""Masking personal data inside free text: phone numbers, 18-digit ID numbers and e-mail addresses.

`text_redact` is the one redactor: a title that reaches a keyless output (the
progress page, the Open311 API), and any log line, pass through it. It cannot
recognise names or addresses, which is why free text other than the title
never reaches a keyless output at all (see `requests_app.public`).

Numbers are recognised also when typed with full-width digits, spaces or
dashes between groups, or a +86 / 0086 prefix, as citizens type them.
"""

from __future__ import annotations

import re

# A digit as citizens type it: ASCII or full-width.
_D = "[0-9０-９]"
_SEP = r"[\s\-－—]?"

# 18-digit resident ID (the last may be X), and the old 15-digit one.
_ID = re.compile(rf"(?<![0-9０-９]){_D}{{17}}[0-9０-９Xx](?![0-9０-９])|(?<![0-9０-９]){_D}{{15}}(?![0-9０-９Xx])")
# Mainland mobiles (1[3-9]xxxxxxxxx) with optional +86 and separators in 3-4-4 groups.
_MOBILE = re.compile(
    rf"(?<![0-9０-９])(?:(?:\+|＋|00)?86{_SEP})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}(?![0-9０-９])"
)
# Landlines: area code 0xx or 0xxx, then 7-8 digits, optionally in brackets or with a dash.
_LANDLINE = re.compile(rf"(?<![0-9０-９])[(（]?[0０]{_D}{{2,3}}[)）]?{_SEP}{_D}{{7,8}}(?![0-9０-９])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

PHONE_MARK = "[电话已隐去]"
ID_MARK = "[证件号已隐去]"
EMAIL_MARK = "[邮箱已隐去]"


def text_redact(text: str) -> str:
    """`text` with every phone number, ID number and e-mail address replaced by a marker."""
    if not text:
        return text or ""
    text = _EMAIL.sub(EMAIL_MARK, text)
    # IDs first: an 18-digit ID contains runs that look like a phone number.
    text = _ID.sub(ID_MARK, text)
    text = _MOBILE.sub(PHONE_MARK, text)
    return _LANDLINE.sub(PHONE_MARK, text)


NAME_MARK = "[姓名已隐去]"
ADDRESS_MARK = "[地址已隐去]"


def text_redact_known(text: str, *, names: tuple[str, ...] = (), addresses: tuple[str, ...] = ()) -> str:
    """`text_redact`, and also the names and addresses known for the request the text was written about.

    For staff text written for one citizen that another one reads (a merged
    duplicate receives its main request's reply). Names shorter than two
    characters are left alone: one character would mask ordinary words.
    """
    for address in sorted((a.strip() for a in addresses if a and len(a.strip()) >= 2), key=len, reverse=True):
        text = text.replace(address, ADDRESS_MARK)
    for name in sorted((n.strip() for n in names if n and len(n.strip()) >= 2), key=len, reverse=True):
        text = text.replace(name, NAME_MARK)
    return text_redact(text)
