"""Appending to and reading from the stored audit log.

`append_entries` runs inside the caller's transaction, so a change and the entries that
record it commit together. Writers lock the single `audit_head` row (SELECT ... FOR UPDATE
on PostgreSQL; SQLite's write lock does the same), so concurrent processes get gap-free,
never-repeated sequence numbers. Leaf and subtree hashes are computed here in Python and
written with one multi-row insert per table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from faircollect.audit.canonical import entry_bytes, format_time
from faircollect.audit.entry import AuditEntry, LoggedEntry
from faircollect.audit.frontier import Frontier
from faircollect.audit.merkle import EMPTY_ROOT
from faircollect.errors import InputError
from faircollect.store.tables.audit import NODE_LEVEL, audit_entries, audit_head, audit_nodes

_sha256 = hashlib.sha256


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
    rows: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    push = frontier.append
    seq = head.size
    for entry in entries:
        record = entry_bytes(seq, at, entry.actor, entry.action, entry.subject, entry.canonical)
        leaf = _sha256(b"\x00" + record).digest()
        rows.append({"seq": seq, "at": at, "actor": entry.actor, "action": entry.action,
                     "subject": entry.subject, "payload": entry.canonical, "leaf": leaf})
        for level, idx, digest in push(leaf, NODE_LEVEL):
            nodes.append({"level": level, "idx": idx, "hash": digest})
        seq += 1
    conn.execute(insert(audit_entries), rows)
    if nodes:
        conn.execute(insert(audit_nodes), nodes)
    conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(size=frontier.size, root=frontier.root(), frontier=frontier.to_bytes())
    )
    return list(range(head.size, frontier.size))


def _lock_head(conn: Connection) -> Head:
    """Read the head row, locking it until the transaction ends; create it if absent."""
    query = select(audit_head.c.size, audit_head.c.root, audit_head.c.frontier).where(
        audit_head.c.id == 1
    ).with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        # Databases built with metadata.create_all (not the migration) start without it.
        conn.execute(_insert_ignore(conn).values(id=1, size=0, root=EMPTY_ROOT, frontier=b""))
        row = conn.execute(query).one()
    return Head(int(row.size), bytes(row.root), bytes(row.frontier))


def _insert_ignore(conn: Connection) -> Any:
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(audit_head).on_conflict_do_nothing()
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(audit_head).on_conflict_do_nothing()
    return insert(audit_head)


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
        select(c.seq, c.at, c.actor, c.action, c.subject, c.payload, c.leaf)
        .where(c.seq >= start, c.seq < stop)
        .order_by(c.seq)
    )
    return [LoggedEntry(int(r[0]), r[1], r[2], r[3], r[4], bytes(r[5]), bytes(r[6]))
            for r in result]


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

