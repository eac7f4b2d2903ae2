"""Engines for the embedded default (SQLite) and PostgreSQL, tuned for FairCollect's use.

A database that cannot be used fails as `StoreUnavailable` (one line naming host, port,
database and role, or the file, and what to do), here in the store layer, so the CLI and
the API report it the same way: a bad URL or driver when the engine is made, a refused
connection, a missing database or role, or an unopenable SQLite file on first connect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.pool import NullPool

from faircollect.config import Settings
from faircollect.errors import StoreUnavailable
from faircollect.store.target import Target, connect_failed, driver_missing, parse_target

# Seconds to wait for a PostgreSQL server before saying it does not answer (libpq waits
# forever by default); a URL's own `connect_timeout` wins.
CONNECT_TIMEOUT = 10


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database; creates FAIRCOLLECT_HOME for SQLite."""
    url, target = parse_target(settings.database_url.value)
    if target.is_sqlite:
        from faircollect.private import ensure_private_dir

        try:
            ensure_private_dir(settings.home, "FAIRCOLLECT_HOME")
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create FAIRCOLLECT_HOME {settings.home}: {exc.strerror or exc}; set "
                "FAIRCOLLECT_HOME to a folder this user may write",
                field="FAIRCOLLECT_HOME",
            ) from None
        return sqlite_engine(url, target)
    connect_args: dict[str, Any] = {}
    if target.driver == "psycopg" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    engine = _create(url, target, pool_pre_ping=True, connect_args=connect_args)
    explain_failures(engine, target)
    return engine


def sqlite_engine(url: str | URL, target: Target | None = None) -> Engine:
    """SQLite in WAL mode with foreign keys on and writers taking the lock up front.

    `BEGIN IMMEDIATE` makes a writing transaction take SQLite's write lock at its start, so two
    processes never deadlock upgrading a read lock; `busy_timeout` makes the second one wait.
    """
    parsed, target = parse_target(url) if target is None else (url, target)
    engine = _create(parsed, target, poolclass=NullPool)
    explain_failures(engine, target)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
        except Exception as exc:  # the first statement is where a non-database file shows
            raise connect_failed(target, exc) from None
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("faircollect_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def explain_failures(engine: Engine, target: Target) -> None:
    """Turn the driver's errors on connecting into `StoreUnavailable` (see `target`)."""

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: Any) -> None:
        exc = ctx.original_exception
        if isinstance(exc, StoreUnavailable):
            raise exc
        readonly = target.is_sqlite and "readonly database" in str(exc).lower()
        if ctx.connection is None or ctx.is_pre_ping or readonly:
            raise connect_failed(target, exc) from None


def _create(url: str | URL, target: Target, **kwargs: Any) -> Engine:
    try:
        return create_engine(url, future=True, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise driver_missing(target, exc) from None
