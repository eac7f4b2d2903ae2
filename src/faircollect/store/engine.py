"""Engines for the embedded default (SQLite) and PostgreSQL, tuned for FairCollect's use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from faircollect.config import Settings


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database; creates FAIRCOLLECT_HOME for SQLite."""
    url = settings.database_url.value
    if url.startswith("sqlite"):
        from faircollect.private import ensure_private_dir

        ensure_private_dir(settings.home, "FAIRCOLLECT_HOME")
        return sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, future=True)


def sqlite_engine(url: str) -> Engine:
    """SQLite in WAL mode with foreign keys on and writers taking the lock up front.

    `BEGIN IMMEDIATE` makes a writing transaction take SQLite's write lock at its start, so two
    processes never deadlock upgrading a read lock; `busy_timeout` makes the second one wait.
    """
    engine = create_engine(url, future=True, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("faircollect_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
