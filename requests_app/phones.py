"""Phone numbers: normalising what citizens type, and masking what the public sees.

Stored form: an 11-digit mainland mobile (13812345678) or a landline as
"area-number" (0371-66668888). Citizens type full-width digits, spaces,
dashes, +86 or 0086 prefixes; all of those normalise to the stored form.
"""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010 and 02x are 3 digits with an 8-digit number; the others are
# 4 digits (03xx-09xx) with a 7- or 8-digit number.
_LANDLINE_3 = re.compile(r"^(010|02\d)(\d{8})$")
_LANDLINE_4 = re.compile(r"^(0[3-9]\d{2})(\d{7,8})$")
_ALLOWED = re.compile(r"^[\d\s\-()+]*$")


def phone_normalize(raw: str) -> str | None:
    """Return the stored form of a phone number, or None when it is not one."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text or not _ALLOWED.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.match(digits):
        return digits
    for pattern in (_LANDLINE_3, _LANDLINE_4):
        match = pattern.match(digits)
        if match:
            return f"{match.group(1)}-{match.group(2)}"
    return None


def phone_mask(phone: str) -> str:
    """138****5678 for a mobile, 0371-****8888 for a landline."""
    if not phone:
        return ""
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(phone) >= 7:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * len(phone)


def name_mask(name: str) -> str:
    """张* for 张三, 欧** for 欧阳娜: the first character and a star for each other."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
