"""Masking personal data inside free text: phone numbers, 18-digit ID numbers and e-mail addresses.

`text_redact` is the one redactor: a title that reaches a keyless output (the
progress page, the Open311 API), and any log line, pass through it. It cannot
recognise names or addresses, which is why free text other than the title
never reaches a keyless output at all (see `requests_app.public`).

`request_text_redact` adds what the inventory of personal data knows about one
request (the citizen's name, phone and address as stored): the 问政 board's
editor starts from it.

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


# The request's own contact fields (requests_app.personal_data, Kind.CONTACT) and their markers.
NAME_MARK = "[姓名已隐去]"
ADDRESS_MARK = "[地址已隐去]"
_MARKS = {"name": NAME_MARK, "phone": PHONE_MARK, "address": ADDRESS_MARK}
# A one-character value (a bare surname) would mask every use of that character.
_MIN_VALUE = 2


def request_text_redact(*, help_request: object, text: str) -> str:
    """`text_redact`, and every contact value the inventory lists for this request masked too.

    Walks `personal_data.inventory()` for the request's own CONTACT fields, so a contact field
    added there is masked here without a change. Longest values first ("张三丰" before "张三").
    """
    from .personal_data import REQUEST, Kind, inventory  # the inventory imports the models

    values = []
    for entry in inventory():
        if entry.model == REQUEST and entry.request_path == "" and entry.kind == Kind.CONTACT:
            value = str(getattr(help_request, entry.field, "") or "").strip()
            if len(value) >= _MIN_VALUE:
                values.append((value, _MARKS.get(entry.field, PHONE_MARK if "phone" in entry.field else NAME_MARK)))
    for value, mark in sorted(values, key=lambda v: -len(v[0])):
        text = (text or "").replace(value, mark)
    return text_redact(text)
