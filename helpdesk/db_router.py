"""Read-only, lag-tolerant reads on the PostgreSQL streaming replica; everything else on the primary.

The rule is explicit: a read goes to the `replica` alias only inside
`replica_reads()` (a context manager and decorator, kept in a contextvar),
which the views whose figures may lag a moment wrap around their read work:
/stats/, the supervisors' dashboard, the exports and the Open311 GET lists.
`@replica_view` does it for a whole view, including the TemplateResponse it
returns (rendered inside) and the rows it streams (`replica_iter`: each row
read inside, the code between rows outside). Outside it, and always:

- writes go to the primary (`db_for_write`), and so does every query set
  Django marks for writing: `select_for_update()`, `get_or_create()`,
  `update_or_create()` ask `db_for_write` too;
- reads inside an atomic block on the primary stay on the primary (they must
  see the block's own writes and locks; the workflow runs in one);
- migrations run on the primary only;
- without `DATABASE_REPLICA_URL` there is no `replica` alias and this router
  sends everything to the primary, as before.

When the replica cannot be reached (refused, timed out, a dropped
connection), reads fall back to the primary through the "replica" circuit
breaker (helpdesk/breaker.py): the first failure logs "Database replica
unavailable (replica): …", reads then skip the replica for
`DATABASE_REPLICA_RETRY_SECONDS` before one probes it, and its return logs
"Database replica back (replica) …". The check costs nothing per query once
connected: Django's health check runs once per request (CONN_HEALTH_CHECKS).
A replica that dies in the middle of a request fails that request's next
query; the breaker opens on it, so the requests after it are served by the
primary.

Callers keep one invariant: never wrap code that reads what it has just
written outside a transaction (a lookup right after a submit) in
`replica_reads()`: the replica may not have replayed it yet.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

from .breaker import Breaker, breaker

REPLICA = "replica"
T = TypeVar("T")

_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside go to the replica (a decorator too). Writes and transactions stay on the primary."""
    token = _reads.set(True)
    try:
        yield
    finally:
        _reads.reset(token)


def replica_iter(rows: Iterable[T]) -> Iterator[T]:
    """`rows` consumed inside `replica_reads()`: for streamed responses, which read after the view returned."""
    iterator = iter(rows)
    while True:
        with replica_reads():
            try:
                row = next(iterator)
            except StopIteration:
                return
        yield row


def replica_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view whose reads all go to the replica: its body, its template (rendered here) and its streamed rows."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            response = view(*args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()  # a TemplateResponse would otherwise read its lazy query sets later
        if getattr(response, "streaming", False):
            response.streaming_content = replica_iter(response.streaming_content)
        return response

    return wrapper


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_breaker() -> Breaker:
    return breaker(REPLICA, label="Database replica", setting="DATABASE_REPLICA_RETRY_SECONDS")


def _note_failures(execute: Any, sql: str, params: Any, many: bool, context: dict) -> Any:
    """On the replica's connection: a query that loses the server opens the breaker for the next reads."""
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError) as exc:
        replica_breaker().failure(exc)
        raise


def replica_usable() -> bool:
    """Whether a read may go to the replica now: its breaker lets it through and its connection is up."""
    gate = replica_breaker()
    if not gate.allow():
        return False
    conn = connections[REPLICA]
    try:
        conn.close_if_health_check_failed()  # once per request, as Django does before a query
        conn.ensure_connection()
    except DatabaseError as exc:
        gate.failure(exc)
        return False
    if _note_failures not in conn.execute_wrappers:
        # First, so that a caller's own `execute_wrapper()` block still pops its own wrapper.
        conn.execute_wrappers.insert(0, _note_failures)
    gate.success()
    return True


def _primary_in_transaction() -> bool:
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads inside `replica_reads()` to the replica when it is up, the rest to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not replica_configured():
            return None
        if _reads.get() and not _primary_in_transaction() and replica_usable():
            return REPLICA
        # Explicit, not None: Django would otherwise follow an instance read from the replica.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may point to one from the other.
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
