"""The native SQLite reader: the same leaves and the same findings as the Python path.

It runs on a real SQLite file. Where the extension was not built these tests skip, unless
FAIRCOLLECT_REQUIRE_NATIVE=1 (CI), which makes its absence a failure.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from faircollect.audit import hashing
from faircollect.audit.sqlite_reader import (
    ALTERED,
    MISSING,
    Reader,
    database_file,
    native_reader,
)


@pytest.fixture
def reader() -> Reader:
    found = native_reader()
    if found is None:
        if os.environ.get("FAIRCOLLECT_REQUIRE_NATIVE") == "1":
            pytest.fail("the native SQLite reader (faircollect.audit._sqlite_scan) is not usable")
        pytest.skip("the native SQLite reader was not built here")
    return found


def _record(i: int) -> bytes:
    return (b'{"action":"a","actor":"b","at":"2026-03-01T12:00:00.000000Z","payload":{"n":%d,'
            b'"t":"\xe4\xb8\xad"},"seq":%d,"subject":"s"}' % (i, i))


def _leaf(record: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + record).digest()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    """A plain entries table (no constraints, as a DBA could make one) with 100 entries."""
    path = str(tmp_path / "log.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE audit_entries (seq INTEGER PRIMARY KEY, record, leaf)")
    conn.executemany("INSERT INTO audit_entries VALUES (?, ?, ?)",
                     [(i, _record(i).decode(), _leaf(_record(i))) for i in range(100)])
    conn.commit()
    yield path, conn
    conn.close()


def test_leaves_equal_the_python_hashing(reader: Reader, db: tuple[str, sqlite3.Connection]) -> None:
    path, _ = db
    leaves, good, outcome = reader(path, 0, 100)
    assert (good, outcome) == (100, 0)
    assert leaves == hashing.leaf_hashes([_record(i) for i in range(100)])
    assert reader(path, 37, 38) == (_leaf(_record(37)), 1, 0)


def test_a_record_stored_as_a_blob_hashes_as_its_bytes(
    reader: Reader, db: tuple[str, sqlite3.Connection]
) -> None:
    path, conn = db
    conn.execute("UPDATE audit_entries SET record = ? WHERE seq = 5", (_record(5),))
    conn.commit()
    assert reader(path, 0, 100)[1:] == (100, 0)


@pytest.mark.parametrize(("sql", "seq"), [
    ("UPDATE audit_entries SET record = replace(record, '\"b\"', '\"x\"') WHERE seq = 41", 41),
    ("UPDATE audit_entries SET record = NULL WHERE seq = 0", 0),
    ("UPDATE audit_entries SET record = 7 WHERE seq = 99", 99),
    ("UPDATE audit_entries SET leaf = NULL WHERE seq = 12", 12),
    ("UPDATE audit_entries SET leaf = substr(leaf, 1, 31) WHERE seq = 13", 13),
    ("UPDATE audit_entries SET leaf = hex(leaf) WHERE seq = 14", 14),
])
def test_an_altered_entry_is_found(
    reader: Reader, db: tuple[str, sqlite3.Connection], sql: str, seq: int
) -> None:
    path, conn = db
    conn.execute(sql)
    conn.commit()
    leaves, good, outcome = reader(path, 0, 100)
    assert (good, outcome) == (seq, ALTERED)
    assert leaves == hashing.leaf_hashes([_record(i) for i in range(seq)])


@pytest.mark.parametrize("seq", [0, 50, 99])
def test_a_missing_entry_is_found(
    reader: Reader, db: tuple[str, sqlite3.Connection], seq: int
) -> None:
    path, conn = db
    conn.execute("DELETE FROM audit_entries WHERE seq = ?", (seq,))
    conn.commit()
    assert reader(path, 0, 100)[1:] == (seq, MISSING)
    assert reader(path, 0, 200)[1:] == (seq, MISSING)


def test_entries_beyond_the_log_are_missing(
    reader: Reader, db: tuple[str, sqlite3.Connection]
) -> None:
    path, _ = db
    assert reader(path, 90, 110)[1:] == (10, MISSING)


@pytest.mark.parametrize(("lo", "hi"), [(-1, 5), (5, 5), (9, 3), (0, (1 << 21) + 1)])
def test_a_bad_range_is_refused(reader: Reader, db: tuple[str, sqlite3.Connection],
                                lo: int, hi: int) -> None:
    with pytest.raises(ValueError, match="range"):
        reader(db[0], lo, hi)


def test_an_unreadable_database_is_an_error_that_names_no_path(
    reader: Reader, tmp_path: Path
) -> None:
    missing = str(tmp_path / "secret-customer-dir" / "none.db")
    with pytest.raises(RuntimeError, match="cannot read the audit log") as err:
        reader(missing, 0, 1)
    assert "secret-customer-dir" not in str(err.value)
    empty = str(tmp_path / "empty.db")
    sqlite3.connect(empty).close()
    with pytest.raises(RuntimeError, match="no such table"):
        reader(empty, 0, 1)


def test_only_file_databases_are_read_natively(tmp_path: Path) -> None:
    cases = {f"sqlite:///{tmp_path / 'a.db'}": str(tmp_path / "a.db"), "sqlite://": None,
             "sqlite:///:memory:": None}
    for url, expected in cases.items():
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert database_file(conn) == expected, url
        finally:
            engine.dispose()
