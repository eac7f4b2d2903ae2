"""Appending to and reading from the stored audit log.

`append_entries` runs inside the caller's transaction, so a change and the entries that
record it commit together. Writers lock the single `audit_head` row (SELECT ... FOR UPDATE
on PostgreSQL; SQLite's write lock does the same), so concurrent processes get gap-free,
never-repeated sequence numbers. Leaf and subtree hashes are computed here in Python and
written with one multi-row insert per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from faircollect.audit.canonical import entry_bytes, format_time
from faircollect.audit.entry import AuditEntry, LoggedEntry
from faircollect.audit.frontier import Frontier
from faircollect.audit.merkle import EMPTY_ROOT, leaf_hashes
from faircollect.errors import InputError
from faircollect.store.tables.audit import NODE_LEVEL, audit_entries, audit_head, audit_nodes

# What append writes; the other entry columns are generated from the record.
_ENTRY_COLUMNS = ("seq", "record", "leaf")
_NODE_COLUMNS = ("level", "idx", "hash")


@dataclass(frozen=True, slots=True)
class Head:
    """The stored head: tree size, root and frontier (derived data, checked by verify)."""

    size: int
    root: bytes
    frontier: bytes


def append_entries(
    conn: Connection, entries: Sequence[AuditEntry], *, now: datetime
) -> list[int]:
    """Append entries in the caller's transaction; returns their sequence numbers."""
    if not entries:
        return []
    for entry in entries:
        if not isinstance(entry, AuditEntry):
            raise InputError("append_entries takes AuditEntry values", field="entries")
    at = format_time(now)
    head = _lock_head(conn)
    frontier = Frontier.from_bytes(head.size, head.frontier)
    first = head.size
    records = [entry_bytes(seq, at, e.actor, e.action, e.subject, e.canonical)
               for seq, e in enumerate(entries, first)]
    leaves = leaf_hashes(records)
    nodes = frontier.extend(leaves, NODE_LEVEL)
    _insert_many(conn, audit_entries, _ENTRY_COLUMNS, [
        (seq, r.decode(), leaf)
        for seq, r, leaf in zip(range(first, first + len(entries)), records, leaves, strict=True)
    ])
    if nodes:
        _insert_many(conn, audit_nodes, _NODE_COLUMNS, nodes)
    conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(size=frontier.size, root=frontier.root(), frontier=frontier.to_bytes())
    )
    return list(range(head.size, frontier.size))


def _insert_many(conn: Connection, table: Table, columns: tuple[str, ...],
                 rows: list[tuple[Any, ...]]) -> None:
    """Insert positional rows with the driver's executemany.

    SQLAlchemy's per-row parameter processing costs more than all the hashing; these rows
    are plain ints, str and bytes, which every driver takes as they are.
    """
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:  # another driver: let SQLAlchemy translate the parameters
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer
    cols = ", ".join(quote.quote(name) for name in columns)
    sql = (f"INSERT INTO {quote.format_table(table)} ({cols}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    conn.exec_driver_sql(sql, rows)


def _lock_head(conn: Connection) -> Head:
    """Read the head row, locking it until the transaction ends; create it if absent."""
    query = select(audit_head.c.size, audit_head.c.root, audit_head.c.frontier).where(
        audit_head.c.id == 1
    ).with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        # Databases built with metadata.create_all (not the migration) start without it.
        fresh = {"id": 1, "size": 0, "root": EMPTY_ROOT, "frontier": b""}
        conn.execute(insert_ignore(conn, audit_head).values(**fresh))
        row = conn.execute(query).one()
    return Head(int(row.size), bytes(row.root), bytes(row.frontier))


def insert_ignore(conn: Connection, table: Table) -> Any:
    """An INSERT that does nothing when the primary key exists (a racing writer won)."""
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table)


def read_head(conn: Connection) -> Head:
    """The current head without locking it (an empty tree if none was written yet)."""
    row = conn.execute(
        select(audit_head.c.size, audit_head.c.root, audit_head.c.frontier).where(
            audit_head.c.id == 1
        )
    ).one_or_none()
    if row is None:
        return Head(0, EMPTY_ROOT, b"")
    return Head(int(row.size), bytes(row.root), bytes(row.frontier))


def read_entries(conn: Connection, start: int, stop: int) -> list[LoggedEntry]:
    """Entries with start <= seq < stop, in order (fewer if some are missing)."""
    c = audit_entries.c
    result = conn.execute(
        select(c.seq, c.record, c.leaf).where(c.seq >= start, c.seq < stop).order_by(c.seq)
    )
    return [LoggedEntry.from_record(int(r[0]), r[1], bytes(r[2])) for r in result]


def read_entry(conn: Connection, seq: int) -> LoggedEntry | None:
    """One entry by sequence number, or None."""
    found = read_entries(conn, seq, seq + 1)
    return found[0] if found else None


def check_size(head: Head, size: int | None) -> int:
    """The tree size a proof is asked for: defaults to the head, never beyond it."""
    if size is None:
        return head.size
    if not 0 <= size <= head.size:
        raise InputError(f"tree size {size} is outside 0..{head.size}", field="size")
    return size

