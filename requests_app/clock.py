"""The request's denormalised clock: its next running promise and its earliest flagged one.

`HelpRequest.next_due_at/next_due_kind` are the earliest deadline still
running (neither met nor waived, `DeadlineQuerySet.OPEN`), and
`missed_due_at/missed_kind` the earliest running one the sweep has flagged
(`DeadlineQuerySet.flagged`). They exist so the worklist's time-left sort,
its "late" filter and the 督办 queue are index scans on the request table
instead of a subquery per row over millions of deadlines.

Invariant: every write to a request's deadline rows calls
`request_clock_refresh` for that request in the same transaction (the
services in `requests_app.services` and `dispatch.deadlines` do), so the
columns always equal what the rows say. Ties on the due time go to the lower
deadline id (the rows' own ordering). Idempotent: refreshing a request whose
columns are right writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from .models import Deadline, HelpRequest

# One statement for any number of requests: a lateral top-1 per request on the
# (request_id) index, and only rows whose columns change are written.
REFRESH_SQL = """
UPDATE {request} h
SET next_due_at = n.due_at, next_due_kind = COALESCE(n.kind, ''),
    missed_due_at = m.due_at, missed_kind = COALESCE(m.kind, '')
FROM unnest(%s::bigint[]) AS r(id)
LEFT JOIN LATERAL (
    SELECT d.due_at, d.kind FROM {deadline} d
    WHERE d.request_id = r.id AND d.met_at IS NULL AND d.waived_at IS NULL
    ORDER BY d.due_at, d.id LIMIT 1
) n ON true
LEFT JOIN LATERAL (
    SELECT d.due_at, d.kind FROM {deadline} d
    WHERE d.request_id = r.id AND d.met_at IS NULL AND d.waived_at IS NULL AND d.breached_at IS NOT NULL
    ORDER BY d.due_at, d.id LIMIT 1
) m ON true
WHERE h.id = r.id
  AND (h.next_due_at IS DISTINCT FROM n.due_at OR h.next_due_kind IS DISTINCT FROM COALESCE(n.kind, '')
       OR h.missed_due_at IS DISTINCT FROM m.due_at OR h.missed_kind IS DISTINCT FROM COALESCE(m.kind, ''))
"""


def request_clock_refresh(*, request_ids: Iterable[int]) -> int:
    """Recompute the clock columns of these requests from their deadline rows; returns rows changed.

    Call inside the transaction that changed the deadlines.
    """
    ids = sorted(set(request_ids))
    if not ids:
        return 0
    if connection.vendor != "postgresql":  # `make run`'s SQLite: the same rule through the ORM, per request
        changed = 0
        for pk in ids:
            due, kind, missed, missed_kind = clock_expected(request_id=pk)
            changed += HelpRequest.objects.filter(pk=pk).update(
                next_due_at=due, next_due_kind=kind, missed_due_at=missed, missed_kind=missed_kind
            )
        return changed
    sql = REFRESH_SQL.format(request=HelpRequest._meta.db_table, deadline=Deadline._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        return cursor.rowcount


def clock_expected(*, request_id: int) -> tuple:
    """The four clock values as the deadline rows define them, by the ORM (for tests and checks)."""
    running = Deadline.objects.filter(request_id=request_id).open().order_by("due_at", "id")
    first = running.values_list("due_at", "kind").first()
    missed = running.filter(breached_at__isnull=False).values_list("due_at", "kind").first()
    return (
        first[0] if first else None,
        first[1] if first else "",
        missed[0] if missed else None,
        missed[1] if missed else "",
    )
