"""Migration 0009: entries written as separate columns become canonical records, unchanged.

A log written before the migration must verify after it with the same root, read back the
same entries, and survive a downgrade and upgrade again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, select, text

from faircollect.audit.canonical import entry_bytes, format_time
from faircollect.audit.checkpoint_store import store_checkpoint
from faircollect.audit.entry import AuditEntry
from faircollect.audit.frontier import Frontier
from faircollect.audit.integrity import verify_log
from faircollect.audit.log import append_entries, read_entries, read_head
from faircollect.store.engine import sqlite_engine
from faircollect.store.migrate import downgrade, upgrade
from faircollect.store.tables.audit import NODE_LEVEL, audit_entries

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AT = format_time(NOW)
# Payloads with escapes and non-ASCII text: the records must come out byte for byte.
ENTRIES = [AuditEntry("import", "borrower.created", f"b-{i}",
                      {"n": i, "note": 'quote " back \\ 中文 tab\t', "ok": i % 2 == 0,
                       "none": None, "nested": {"z": [1, "2"], "a": i}})
           for i in range(70)]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = sqlite_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    yield eng
    eng.dispose()


def _write_old_log(engine: Engine) -> bytes:
    """The log as revision 0008 stored it (separate columns); returns its root."""
    frontier = Frontier()
    leaves = [hashlib.sha256(b"\x00" + entry_bytes(i, AT, e.actor, e.action, e.subject,
                                                     e.canonical)).digest()
              for i, e in enumerate(ENTRIES)]
    nodes = frontier.extend(leaves, NODE_LEVEL)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_entries (seq, at, actor, action, subject, payload, "
                          "leaf) VALUES (:seq, :at, :actor, :action, :subject, :payload, :leaf)"),
                     [{"seq": i, "at": AT, "actor": e.actor, "action": e.action,
                       "subject": e.subject, "payload": e.canonical, "leaf": leaf}
                      for i, (e, leaf) in enumerate(zip(ENTRIES, leaves, strict=True))])
        conn.execute(text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:l, :i, :h)"),
                     [{"l": lv, "i": ix, "h": h} for lv, ix, h in nodes])
        conn.execute(text("UPDATE audit_head SET size = :s, root = :r, frontier = :f"),
                     {"s": frontier.size, "r": frontier.root(), "f": frontier.to_bytes()})
    return frontier.root()


def test_an_old_log_verifies_after_the_migration_and_back(engine: Engine) -> None:
    key = Ed25519PrivateKey.generate()
    upgrade(engine, "0008")
    root = _write_old_log(engine)
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)  # signed before the migration
    upgrade(engine)
    with engine.begin() as conn:
        report = verify_log(conn, key.public_key())
        assert report.ok, report.problems
        assert (report.size, report.root) == (70, root)
        got = read_entries(conn, 0, 70)
        assert [(e.subject, e.payload_json) for e in got] == [
            (e.subject, e.canonical) for e in ENTRIES]
        # The generated columns answer queries, through the subject index.
        c = audit_entries.c
        assert conn.execute(select(c.seq, c.actor, c.action, c.at).where(
            c.subject == "b-7")).one() == (7, "import", "borrower.created", AT)
        append_entries(conn, [AuditEntry("cli", "x.y", "b-7")], now=NOW)
    with engine.connect() as conn:
        assert verify_log(conn, key.public_key()).ok
        head = read_head(conn)

    downgrade(engine, "0008")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT subject, payload FROM audit_entries "
                                 "WHERE seq < 70 ORDER BY seq")).all()
    assert [(r[0], bytes(r[1])) for r in rows] == [(e.subject, e.canonical) for e in ENTRIES]
    upgrade(engine)
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key())
        assert report.ok, report.problems
        assert report.root == head.root
