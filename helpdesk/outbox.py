"""The one retry model of the portal's outboxes (notifications, Open311 webhooks).

An outbox row is written in the transaction of what caused it, and its task is
published after commit. Each task makes one attempt. A failed attempt stores on
the row when the next one is due (`next_attempt_at`, growing geometrically, at
most `cap_seconds` apart), and a beat sweep sends the rows that are due; after
`max_attempts` the row is marked failed for staff to see. No Celery countdown or
ETA retries: Redis would redeliver long ETAs after its visibility timeout, and a
row's own due time survives a worker or broker restart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    factor: float
    max_attempts: int
    cap_seconds: float | None = None

    def delay(self, *, attempts: int) -> dt.timedelta:
        """Wait after the `attempts`-th failed attempt: base, base×factor, base×factor² …, capped."""
        seconds = self.base_seconds * self.factor ** max(attempts - 1, 0)
        if self.cap_seconds is not None:
            seconds = min(seconds, self.cap_seconds)
        return dt.timedelta(seconds=seconds)

    def next_attempt_at(self, *, attempts: int, now: dt.datetime) -> dt.datetime | None:
        """When to try again after `attempts` failed attempts; None once the row should be given up."""
        if attempts >= self.max_attempts:
            return None
        return now + self.delay(attempts=attempts)
