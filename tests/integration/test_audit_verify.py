"""How verification splits its scan: ranges, processes, and when it stays in one process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from _audit_tamper import edit_record
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine

from faircollect.audit import integrity
from faircollect.audit.checkpoint_store import store_checkpoint
from faircollect.audit.entry import AuditEntry
from faircollect.audit.integrity import plan, verify_log
from faircollect.audit.log import append_entries
from faircollect.audit.scan import scan_range
from faircollect.store.engine import sqlite_engine
from faircollect.store.schema import metadata
from faircollect.store.tables.audit import (
    audit_checkpoints,
    audit_entries,
    audit_head,
    audit_nodes,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = sqlite_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    metadata.create_all(eng, tables=[audit_entries, audit_nodes, audit_head, audit_checkpoints])
    yield eng
    eng.dispose()


def _fill(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        append_entries(conn, [AuditEntry("cycle", "loan.decide", f"loan:{i}", {"i": i})
                              for i in range(n)], now=NOW)


@pytest.mark.parametrize(("end", "workers", "level", "expected"), [
    (0, 2, 16, [(0, 0)]),
    (100, 1, 3, [(0, 100)]),
    (100, 2, 3, [(0, 56), (56, 100)]),
    (64, 2, 3, [(0, 32), (32, 64)]),
    (5, 4, 3, [(0, 5)]),
    (300_000, 2, 16, [(0, 196_608), (196_608, 300_000)]),
])
def test_plan_splits_on_chunk_boundaries(
    end: int, workers: int, level: int, expected: list[tuple[int, int]]
) -> None:
    assert plan(end, workers, level) == expected


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = integrity.run_parts

    def spy(conn: Any, ranges: list[tuple[int, int]], *args: Any) -> Any:
        seen.append(len(ranges))
        return real(conn, ranges, *args)

    monkeypatch.setattr(integrity, "run_parts", spy)
    return seen


def test_a_large_log_is_split_over_two_processes_only_outside_a_transaction(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Ed25519PrivateKey.generate()
    _fill(engine, 100)
    monkeypatch.setattr(integrity, "PARALLEL_FROM", 50)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    seen = _spy(monkeypatch)
    with engine.connect() as conn:
        fresh = verify_log(conn, key.public_key(), chunk_level=3)
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
        in_tx = verify_log(conn, key.public_key(), chunk_level=3)
    assert seen == [2, 1]
    assert fresh.ok and in_tx.ok and fresh.root == in_tx.root


def test_a_small_log_stays_in_one_process(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(engine, 100)
    seen = _spy(monkeypatch)
    with engine.connect() as conn:
        assert verify_log(conn, Ed25519PrivateKey.generate().public_key()).ok
    assert seen == [1]


def test_a_worker_reports_an_edit_in_its_range(engine: Engine) -> None:
    _fill(engine, 100)
    with engine.begin() as conn:
        conn.execute(edit_record(77, '"actor":"', '"actor":"x'))
    with engine.connect() as conn:
        report = verify_log(conn, Ed25519PrivateKey.generate().public_key(), workers=2,
                            chunk_level=4)
    assert report.first_bad == 77 and report.size == 64  # the good chunks before it count


def test_a_scan_must_start_on_a_chunk_boundary(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(ValueError):
        scan_range(conn, 3, 10, [], 2)
