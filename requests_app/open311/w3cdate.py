"""`start_date`/`end_date` of GET requests: every W3C date-time form (https://www.w3.org/TR/NOTE-datetime).

`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mmTZD`, `YYYY-MM-DDThh:mm:ssTZD` and
`YYYY-MM-DDThh:mm:ss.sTZD`, TZD being `Z` or `±hh:mm`. A reduced form names a
period: `2026-11` is all of November, so as a start it means its first instant
and as an end its last. A time without a zone, and a date, are read in the
site's time zone (Asia/Shanghai). Anything else Python's ISO 8601 parser reads
is accepted too (a space instead of `T`; an unencoded `+` that arrived as a space).
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

_W3C = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?P<time>T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)
# An unencoded "+" in a query string arrives as a space: put the offset's sign back.
_OFFSET_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def _aware_utc(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    # In UTC, as stored: the database refuses odd offsets such as +16:02.
    return moment.astimezone(dt.UTC)


def w3c_period(value: str) -> tuple[dt.datetime, dt.datetime]:
    """(first, last) instant, in UTC, of what `value` names; both equal for a full date-time.

    Raises ValueError (or OverflowError) when `value` is no date-time.
    """
    text = _OFFSET_SPACE.sub(r"\1+\2", value.strip())
    match = _W3C.match(text)
    if match is None or match["time"]:
        moment = _aware_utc(dt.datetime.fromisoformat(text.replace("z", "Z")))
        return moment, moment
    year, month, day = int(match["year"]), int(match["month"] or 1), int(match["day"] or 1)
    first = dt.datetime(year, month, day)  # noqa: DTZ001 - made aware in the site's zone below
    if match["day"]:
        after = first + dt.timedelta(days=1)
    elif match["month"]:
        after = dt.datetime(year + month // 12, month % 12 + 1, 1)  # noqa: DTZ001
    else:
        after = dt.datetime(year + 1, 1, 1)  # noqa: DTZ001
    return _aware_utc(first), _aware_utc(after - dt.timedelta(microseconds=1))
