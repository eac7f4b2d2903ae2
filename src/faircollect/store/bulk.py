"""Bulk writes: many rows in one statement execution, without per-row ORM overhead.

SQLAlchemy's executemany spends most of its time building parameter dicts and running
type processors row by row. For large imports and daily batches this module binds rows
as tuples straight to the driver, running only the processors a column actually has
(e.g. `UTCDateTime`), computed once per statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, LargeBinary, Table, insert


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert `rows` (dicts with the same keys) into `table`; returns the count."""
    if not rows:
        return 0
    columns = list(rows[0].keys())
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    # Positional order of the compiled statement's parameters.
    order = list(compiled.positiontup or []) if compiled.positional else None
    processors: dict[str, Callable[[Any], Any]] = {}
    for name in columns:
        if isinstance(table.c[name].type, LargeBinary):
            continue  # both drivers take bytes as they are; the wrapper only costs time
        proc = table.c[name].type._cached_bind_processor(dialect)  # noqa: SLF001
        if proc is not None:
            processors[name] = _memoised(proc)

    def convert(row: Mapping[str, Any]) -> dict[str, Any]:
        return {k: (processors[k](v) if k in processors else v) for k, v in row.items()}

    if order is not None:
        params: list[Any] = [
            tuple(processors[k](row[k]) if k in processors else row[k] for k in order)
            for row in rows
        ]
    else:
        params = [convert(row) for row in rows]
    conn.exec_driver_sql(str(compiled), params)
    return len(rows)


def _memoised(proc: Callable[[Any], Any], limit: int = 4096) -> Callable[[Any], Any]:
    """Cache a type processor's results: batches repeat the same instants and dates."""
    cache: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = proc(value)
            if len(cache) < limit:
                cache[value] = result
            return result
        except TypeError:  # unhashable value
            return proc(value)

    return run
