"""Ids typed into forms and query strings, read the one safe way."""

from __future__ import annotations

# PostgreSQL's bigint, the type of every primary key here (BigAutoField).
_ID_MAX = 2**63 - 1


def id_or_none(value: str | None) -> int | None:
    """A row id from a posted or query-string value: a positive ASCII integer in range, else None.

    `str.isdigit()` alone lets through "²" (which `int()` refuses) and 20-digit numbers (which
    overflow bigint in the query): both would answer 500 instead of "not found".
    """
    if not value or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= _ID_MAX else None
