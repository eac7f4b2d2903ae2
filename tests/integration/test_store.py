"""The store migrates, commits and rolls back the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from faircollect.store.migrate import current_revision, head_revision, upgrade
from faircollect.store.tables.foundation import import_runs


def test_migrations_reach_head_and_are_idempotent(store) -> None:  # type: ignore[no-untyped-def]
    assert current_revision(store.engine) == head_revision()
    assert upgrade(store.engine) is False


def test_failed_command_writes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(RuntimeError), store.transaction(actor="test") as uow:
        uow.conn.execute(
            insert(import_runs).values(
                run_id="r1", source_digest="x", started_at=now, finished_at=now, counts="{}"
            )
        )
        raise RuntimeError("boom")
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(import_runs)).scalar_one() == 0


def test_instants_round_trip_as_aware_utc(store) -> None:  # type: ignore[no-untyped-def]
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 3, 1, 20, 30, tzinfo=shanghai)
    with store.transaction(actor="test") as uow:
        uow.conn.execute(
            insert(import_runs).values(
                run_id="r2", source_digest="x", started_at=at, finished_at=at, counts="{}"
            )
        )
    with store.read() as conn:
        got = conn.execute(select(import_runs.c.started_at)).scalar_one()
    assert got == at and got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert date(2026, 3, 1) == got.date()
