"""The stored audit log: gap-free appends, proofs from stored rows, full verification."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypedDict

import pytest
from _audit_tamper import edit_record
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, delete, func, select, update

from faircollect.audit import merkle
from faircollect.audit.checkpoint_store import store_checkpoint
from faircollect.audit.entry import AuditEntry
from faircollect.audit.integrity import verify_log
from faircollect.audit.log import append_entries, read_entries, read_head
from faircollect.audit.tree import consistency_proof, inclusion_proof, root_at
from faircollect.errors import InputError, NotFound
from faircollect.store.engine import sqlite_engine
from faircollect.store.schema import metadata
from faircollect.store.tables.audit import (
    audit_checkpoints,
    audit_entries,
    audit_head,
    audit_nodes,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TABLES = [audit_entries, audit_nodes, audit_head, audit_checkpoints]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = sqlite_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    metadata.create_all(eng, tables=TABLES)
    yield eng
    eng.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


# The default scan, and scans in small chunks split over several processes (which read the
# committed rows through connections of their own and hand their subtrees back). On SQLite
# files these read natively (sqlite_reader); "driver" scans read through the Python driver.
class ScanOpts(TypedDict, total=False):
    workers: int
    chunk_level: int
    native: bool


SCANS: list[ScanOpts] = [{}, {"workers": 2, "chunk_level": 3}, {"workers": 2, "chunk_level": 5},
                         {"workers": 3, "chunk_level": 2},
                         {"workers": 2, "chunk_level": 3, "native": False}]


@pytest.fixture(params=SCANS, ids=["default", "2x8", "2x32", "3x4", "driver-2x8"])
def opts(request: pytest.FixtureRequest) -> ScanOpts:
    chosen: ScanOpts = request.param
    return chosen


def _entries(n: int, tag: str = "t") -> list[AuditEntry]:
    return [AuditEntry("cycle", "loan.decide", f"loan:{tag}{i}", {"i": i, "rule": "r1"})
            for i in range(n)]


def _fill(engine: Engine, sizes: list[int]) -> None:
    for b, n in enumerate(sizes):
        with engine.begin() as conn:
            append_entries(conn, _entries(n, f"b{b}-"), now=NOW)


def test_appends_are_gap_free_and_match_a_fresh_tree(engine: Engine) -> None:
    rng = random.Random(7)
    sizes = [rng.randint(1, 40) for _ in range(12)]
    seqs: list[int] = []
    for b, n in enumerate(sizes):
        with engine.begin() as conn:
            seqs += append_entries(conn, _entries(n, f"b{b}-"), now=NOW)
    total = sum(sizes)
    assert seqs == list(range(total))
    with engine.connect() as conn:
        stored = read_entries(conn, 0, total)
        head = read_head(conn)
        nodes = conn.execute(select(func.count()).select_from(audit_nodes)).scalar_one()
    assert all(e.is_intact() for e in stored)
    assert head.size == total
    assert head.root == merkle.root([merkle.leaf_hash(e.record()) for e in stored])
    # One cached row per perfect subtree of 16 leaves or more.
    assert nodes == sum(total >> level for level in range(4, total.bit_length()))


def test_a_rolled_back_transaction_leaves_no_entry(engine: Engine) -> None:
    _fill(engine, [3])
    with pytest.raises(RuntimeError), engine.begin() as conn:
        append_entries(conn, _entries(5), now=NOW)
        raise RuntimeError("the change failed")
    with engine.begin() as conn:
        assert append_entries(conn, _entries(1), now=NOW) == [3]


def test_bad_input_is_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(InputError):
        append_entries(conn, _entries(1), now=datetime(2026, 3, 1))
    with engine.begin() as conn, pytest.raises(InputError):
        append_entries(conn, [("not", "an", "entry")], now=NOW)  # type: ignore[list-item]
    with engine.begin() as conn:
        assert append_entries(conn, [], now=NOW) == []


def test_stored_proofs_verify_for_every_entry_and_size(engine: Engine) -> None:
    _fill(engine, [37, 1, 90, 5, 70])
    with engine.connect() as conn:
        size = read_head(conn).size
        roots = {s: root_at(conn, s) for s in range(size + 1)}
        leaves = [e.leaf for e in read_entries(conn, 0, size)]
        for s in (1, 17, 64, 100, size):
            assert roots[s] == merkle.root(leaves[:s])
            for seq in range(s):
                proof = inclusion_proof(conn, seq, s)
                assert merkle.verify_inclusion(leaves[seq], seq, s, proof, roots[s])
        for old in range(size + 1):
            proof = consistency_proof(conn, old)
            assert merkle.verify_consistency(old, size, roots[old], roots[size], proof)
        with pytest.raises(NotFound):
            inclusion_proof(conn, size)
        with pytest.raises(InputError):
            consistency_proof(conn, 5, 3)


def test_a_clean_log_verifies_with_its_checkpoints(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    with engine.connect() as conn:
        assert verify_log(conn, key.public_key(), **opts).ok  # empty
    _fill(engine, [50])
    with engine.begin() as conn:
        first = store_checkpoint(conn, key, now=NOW)
    _fill(engine, [30, 1])
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
        in_tx = verify_log(conn, key.public_key(), kept=first, **opts)
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), kept=first, **opts)
    for r in (in_tx, report):
        assert r.ok, r.problems
        assert (r.size, r.checkpoints) == (81, 2)
        assert r.root == in_tx.root


def test_every_prefix_root_is_found_whatever_the_chunks(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    # A checkpoint at every size from 1 to 70: each root comes from a chunk's prefix cover.
    for _ in range(70):
        _fill(engine, [1])
        with engine.begin() as conn:
            store_checkpoint(conn, key, now=NOW)
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert report.ok, report.problems
    assert (report.size, report.checkpoints) == (70, 70)


# --- Tampering: each kind is found, with the first bad sequence number. ---


def _tamper_and_verify(engine: Engine, key: Ed25519PrivateKey, statement: object,
                       opts: ScanOpts) -> int | None:
    _fill(engine, [40, 40, 20])  # 100 entries
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
    with engine.begin() as conn:
        conn.execute(statement)  # type: ignore[call-overload]
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert not report.ok
    return report.first_bad


@pytest.mark.parametrize("seq", [0, 42, 57, 99])
def test_an_edited_entry_is_found(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts, seq: int
) -> None:
    stmt = edit_record(seq, '"subject":"', '"subject":"other-')
    assert _tamper_and_verify(engine, key, stmt, opts) == seq


# 42 lies in the cached subtree of entries 32..47; 99 in no complete cached subtree, so only
# the signed checkpoint shows the change (from 0, the last size still trusted).
@pytest.mark.parametrize(("seq", "found"), [(0, 0), (42, 32), (99, 0)])
def test_an_edit_with_a_recomputed_leaf_is_found_below_a_checkpoint(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts, seq: int, found: int
) -> None:
    # The leaf matches the edited record; the subtrees above it no longer do.
    c = audit_entries.c
    _fill(engine, [40, 40, 20])
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
        conn.execute(edit_record(seq, '"subject":"', '"subject":"other-'))
        record = conn.execute(select(c.record).where(c.seq == seq)).scalar_one()
        conn.execute(update(audit_entries).where(c.seq == seq).values(
            leaf=merkle.leaf_hash(record.encode())))
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert report.first_bad == found
    assert any(f"{found}.." in p.message or f"from {found} " in p.message
               for p in report.problems), report.problems


def test_an_edit_and_a_later_deletion_report_the_edit(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    _fill(engine, [100])
    with engine.begin() as conn:
        conn.execute(edit_record(41, '"at":"', '"at":"x'))
        conn.execute(delete(audit_entries).where(audit_entries.c.seq == 43))
    with engine.connect() as conn:
        assert verify_log(conn, key.public_key(), **opts).first_bad == 41


@pytest.mark.parametrize("seq", [0, 31, 57, 98])
def test_a_deleted_entry_is_found(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts, seq: int
) -> None:
    stmt = delete(audit_entries).where(audit_entries.c.seq == seq)
    assert _tamper_and_verify(engine, key, stmt, opts) == seq


def test_a_null_field_is_reported_not_raised(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    _fill(engine, [40])
    with engine.begin() as conn:  # as a DBA could, after dropping the NOT NULL constraint
        conn.exec_driver_sql("CREATE TABLE audit_copy AS SELECT * FROM audit_entries")
        conn.exec_driver_sql("DROP TABLE audit_entries")
        conn.exec_driver_sql("CREATE TABLE audit_entries AS SELECT * FROM audit_copy")
        conn.exec_driver_sql("UPDATE audit_entries SET record = NULL WHERE seq = 23")
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert report.first_bad == 23
    # The copy's columns are plain ones now, free to disagree with the records.
    assert any("no longer generated from the record" in p.message for p in report.problems)


def test_swapped_entries_are_found(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    c = audit_entries.c
    # Swap the sequence numbers of rows 20 and 70 (through a free value, for the key).
    _fill(engine, [100])
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
    with engine.begin() as conn:
        conn.execute(update(audit_entries).where(c.seq == 20).values(seq=-1))
        conn.execute(update(audit_entries).where(c.seq == 70).values(seq=20))
        conn.execute(update(audit_entries).where(c.seq == -1).values(seq=70))
    with engine.connect() as conn:
        assert verify_log(conn, key.public_key(), **opts).first_bad == 20


def test_truncation_is_found_even_when_the_head_is_rewound(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    stmt = delete(audit_entries).where(audit_entries.c.seq >= 90)
    assert _tamper_and_verify(engine, key, stmt, opts) == 90
    with engine.begin() as conn:  # now hide it: rewrite the head to the shorter tree
        leaves = [e.leaf for e in read_entries(conn, 0, 90)]
        conn.execute(update(audit_head).values(size=90, root=merkle.root(leaves)))
    with engine.connect() as conn:
        assert verify_log(conn, key.public_key(), **opts).first_bad == 90


def test_an_edit_with_all_derived_hashes_rewritten_is_caught_by_the_checkpoint(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    _fill(engine, [64])
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
    _fill(engine, [36])
    with engine.begin() as conn:
        store_checkpoint(conn, key, now=NOW)
    # A careful forger rewrites entry 10 and every hash derived from it, but cannot re-sign.
    with engine.begin() as conn:
        entries = read_entries(conn, 0, 100)
        conn.execute(delete(audit_entries))
        conn.execute(delete(audit_nodes))
        conn.execute(delete(audit_head))
        forged = [AuditEntry(e.actor, e.action, "loan:forged" if e.seq == 10 else e.subject,
                             e.to_dict()["payload"]) for e in entries]
        append_entries(conn, forged, now=NOW)
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert not report.ok and report.first_bad == 0
    assert "size 64" in report.problems[0].message


@pytest.mark.parametrize(("seq", "block"), [(33, 32), (70, 64)])
def test_a_rewritten_leaf_hash_is_caught_by_the_subtree_cache(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts, seq: int, block: int
) -> None:
    _fill(engine, [100])
    with engine.begin() as conn:
        e = read_entries(conn, seq, seq + 1)[0]
        forged = e.__class__(e.seq, e.at, e.actor, e.action, "loan:x", e.payload_json, b"")
        conn.execute(update(audit_entries).where(audit_entries.c.seq == seq).values(
            record=forged.record().decode(), leaf=merkle.leaf_hash(forged.record())))
        in_tx = verify_log(conn, key.public_key(), **opts)
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert in_tx.first_bad == report.first_bad == block  # the 16-entry block holding it


def test_a_rewritten_cached_subtree_is_found(
    engine: Engine, key: Ed25519PrivateKey, opts: ScanOpts
) -> None:
    _fill(engine, [100])
    with engine.begin() as conn:
        n = audit_nodes.c
        conn.execute(update(audit_nodes).where(n.level == 5, n.idx == 1).values(hash=b"x" * 32))
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key(), **opts)
    assert report.first_bad == 32 and "cached hash" in report.problems[0].message


def test_a_forged_checkpoint_signature_is_reported(engine: Engine, key: Ed25519PrivateKey) -> None:
    _fill(engine, [10])
    with engine.begin() as conn:
        store_checkpoint(conn, Ed25519PrivateKey.generate(), now=NOW)
        report = verify_log(conn, key.public_key())
    assert not report.ok and report.first_bad is None
    assert "signature" in report.problems[0].message
