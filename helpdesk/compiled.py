"""Querysets compiled once per database connection, then run with new values.

The citizen's progress page runs the same three SELECTs on every lookup, with
only a ticket number, a phone hash or a request id changing. Building those
querysets and compiling them to SQL cost the ORM about a millisecond a page,
more than PostgreSQL spends answering them. A `CompiledQuery` builds its
queryset once, with a placeholder for each value, compiles it once per
connection, and from then on only runs the SQL with the new values and turns
the rows into model instances exactly as the queryset would (the same
converters, so encrypted and time columns read the same; `select_related`
objects and annotations included). A test compares it with the queryset it
stands for on both database engines.

The queryset must take the values as they are bound (an `exact` lookup on a
column, a primary key): a lookup that transforms its value (`icontains`,
`__date`) leaves no placeholder to find, and compiling says so at once. Every
other value in it is fixed when it is compiled, once per connection: never
build one with the time, a setting or anything else that changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # ModelIterable's own helper

M = TypeVar("M", bound=Model)

# Placeholders no real value equals: a string no form lets through, an id no row has.
_PLACEHOLDER_TEXT = "\x00compiled-query-placeholder-{}\x00"
_PLACEHOLDER_INT = -(2**62)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, the value's name)
    compiler: Any
    converters: dict[int, Any]
    model: type[Model]
    init_list: tuple[str, ...]
    model_fields: slice
    related_populators: tuple[Any, ...]
    annotation_col_map: dict[str, int]


class CompiledQuery(Generic[M]):
    """`build(**values)` returns the queryset; `values` names each value's type (str or int).

    >>> by_number = CompiledQuery(lambda number: Ticket.objects.filter(number=number)[:1], number=str)
    >>> by_number.fetch(number="ZZ20260315-0042")
    [<Ticket ...>]
    """

    def __init__(self, build: Callable[..., QuerySet[M]], **values: type) -> None:
        unknown = {name: kind for name, kind in values.items() if kind not in (str, int)}
        if unknown:
            raise TypeError(f"CompiledQuery values must be str or int, not {unknown}")
        self._build = build
        self._values = values
        self._placeholders = {
            name: _PLACEHOLDER_TEXT.format(name) if kind is str else _PLACEHOLDER_INT - i
            for i, (name, kind) in enumerate(values.items())
        }
        self._template: QuerySet[M] | None = None  # built at the first fetch: models may not be ready yet
        # Per thread, as Django's connections are: (the connection, what was compiled for it) by alias.
        self._here = threading.local()

    def fetch(self, **values: Any) -> list[M]:
        if values.keys() != self._values.keys():
            raise TypeError(f"CompiledQuery.fetch takes {sorted(self._values)}, not {sorted(values)}")
        if self._template is None:
            self._template = self._build(**self._placeholders)
        alias = self._template.db  # the router decides per call, as for the queryset (the primary, here)
        connection = connections[alias]
        kept = self._here.__dict__.get(alias)
        if kept is not None and kept[0] is connection:
            compiled = kept[1]
        else:
            compiled = self._compile(connection)
            self._here.__dict__[alias] = (connection, compiled)
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return [self._instance(compiled, connection, row) for row in self._converted(compiled, rows)]

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        queryset = self._build(**self._placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = tuple(
            (position, name)
            for position, value in enumerate(params)
            for name, placeholder in self._placeholders.items()
            if type(value) is type(placeholder) and value == placeholder
        )
        missing = set(self._placeholders) - {name for _, name in slots}
        if missing:
            raise ValueError(f"CompiledQuery: {sorted(missing)} not bound as given (a lookup transforms it)")
        klass_info, select = compiler.klass_info, compiler.select
        if compiler.has_composite_fields([s[0] for s in select[0 : compiler.col_count]]):
            raise ValueError("CompiledQuery: composite fields are not supported")
        fields = klass_info["select_fields"]
        model_fields = slice(fields[0], fields[-1] + 1)
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            compiler=compiler,
            converters=compiler.get_converters([s[0] for s in select[0 : compiler.col_count]]),
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[model_fields]),
            model_fields=model_fields,
            related_populators=tuple(get_related_populators(klass_info, select, connection.alias)),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
        )

    @staticmethod
    def _converted(compiled: _Compiled, rows: list[tuple]) -> Any:
        if not compiled.converters:
            return rows
        # The compiler's own loop, with its converters computed once.
        return compiled.compiler.apply_converters(rows, compiled.converters)

    @staticmethod
    def _instance(compiled: _Compiled, connection: BaseDatabaseWrapper, row: list) -> Any:
        # As django.db.models.query.ModelIterable builds each instance.
        obj = compiled.model.from_db(connection.alias, compiled.init_list, row[compiled.model_fields])
        for populator in compiled.related_populators:
            populator.populate(row, obj)
        for name, position in compiled.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj
