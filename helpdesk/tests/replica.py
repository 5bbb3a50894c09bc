"""Test helpers for the `replica` alias: add it (to any server) for a test, count each alias's queries."""

from __future__ import annotations

import copy
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from helpdesk.breaker import breakers_reset
from helpdesk.db_router import REPLICA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def replica_alias(**overrides: Any) -> Iterator[dict]:
    """settings.DATABASES["replica"]: the test database's settings with `overrides` (HOST, PORT …).

    `connections.settings` is settings.DATABASES itself, so the router sees the
    alias as configured; on the way out its connection is closed and the alias
    is gone (or DATABASE_REPLICA_URL's back).
    """
    configured = connections.settings.get(REPLICA)  # DATABASE_REPLICA_URL's, put back afterwards
    entry = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    entry.update(overrides)
    entry["TEST"] = {**entry.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    drop_connection(REPLICA)
    connections.settings[REPLICA] = entry
    try:
        yield entry
    finally:
        drop_connection(REPLICA)
        del connections.settings[REPLICA]
        if configured is not None:
            connections.settings[REPLICA] = configured
        breakers_reset()


def drop_connection(alias: str) -> None:
    """Close this thread's connection of `alias` and forget it (the next use connects anew)."""
    if hasattr(connections._connections, alias):  # type: ignore[attr-defined]  # asgiref Local
        connections[alias].close()
        del connections[alias]


@contextmanager
def queries_by_alias() -> Iterator[Counter]:
    """Counter of statements run on each alias inside the block (`"<alias>:write"` for writes)."""
    counts: Counter = Counter()

    def counter(alias: str):
        def wrapper(execute, sql, params, many, context):
            counts[alias] += 1
            if sql.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
                counts[f"{alias}:write"] += 1
            return execute(sql, params, many, context)

        return wrapper

    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(counter(alias)))
        yield counts
