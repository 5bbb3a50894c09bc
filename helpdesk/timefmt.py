"""How the portal writes a moment for people: the site's time zone (Asia/Shanghai), to the minute.

One format everywhere a time is written out as text (the progress page, notifications, the
timeline's messages, exports), matching the templates' `date:"Y-m-d H:i"`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_minute(moment: dt.datetime | None) -> str:
    """`moment` in the site's time zone as "YYYY-MM-DD HH:MM"; "" for None."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
