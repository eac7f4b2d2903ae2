"""The unit of work: one transaction per command, holding the change and its audit entries.

A command's state change and the audit entries that record it commit together or not at
all: the entries are appended to the Merkle log inside the same transaction, just before
commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """A transaction in progress: `conn` to read and write, `audit()` to record what it did."""

    def __init__(self, conn: Connection, actor: str) -> None:
        self.conn = conn
        self.actor = actor
        self._entries: list[Any] = []

    def audit(self, action: str, subject: str, payload: Mapping[str, Any] | None = None) -> None:
        """Record an audit entry to be appended when the transaction commits."""
        from faircollect.audit.entry import AuditEntry

        self._entries.append(AuditEntry(self.actor, action, subject, dict(payload or {})))

    def __repr__(self) -> str:
        return f"UnitOfWork(actor={self.actor!r}, pending_audit={len(self._entries)})"


class Store:
    """The database behind FairCollect, with its clock."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, actor: str) -> Iterator[UnitOfWork]:
        """Run one command: commit its changes and audit entries together, or neither."""
        with self.engine.begin() as conn:
            uow = UnitOfWork(conn, actor)
            yield uow
            if uow._entries:
                from faircollect.audit.log import append_entries

                append_entries(conn, uow._entries, now=self.clock())

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading only."""
        with self.engine.connect() as conn:
            yield conn.execution_options(faircollect_readonly=True)

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store(dialect={self.dialect!r})"
