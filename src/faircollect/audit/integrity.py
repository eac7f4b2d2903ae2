"""Full verification of the stored log: recompute every leaf, subtree and root.

Only signed checkpoints are trusted. The scan reads entries in aligned chunks, rebuilds
each entry's canonical bytes and leaf hash, compares them with the stored leaf, compares the
cached subtree hashes and the head with what the leaves give, and checks that every stored
checkpoint (and, optionally, one kept outside) is signed and is a prefix of this tree.
It stops at the first damaged entry, which is what an auditor needs to start from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from faircollect.audit import checkpoint as cp
from faircollect.audit.frontier import Frontier
from faircollect.audit.log import Head, read_head
from faircollect.errors import FairCollectError
from faircollect.store.tables.audit import (
    NODE_LEVEL,
    audit_checkpoints,
    audit_entries,
    audit_nodes,
)

CHUNK_LEVEL = 16  # leaves are read and hashed 65,536 at a time
_sha256 = hashlib.sha256


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong; `seq` is the first sequence number it puts in doubt."""

    seq: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of a verification."""

    size: int
    root: bytes
    checkpoints: int
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> int | None:
        """The lowest sequence number any problem puts in doubt."""
        seqs = [p.seq for p in self.problems if p.seq is not None]
        return min(seqs) if seqs else None


@dataclass
class _Scan:
    """Running state of one scan (mutable on purpose: it is the loop's accumulator)."""

    frontier: Frontier
    roots: dict[int, bytes]
    problems: list[Problem]


def verify_log(conn: Connection, key: Ed25519PublicKey, *, origin: str = cp.DEFAULT_ORIGIN,
               kept: str | None = None) -> Report:
    """Verify the whole stored log; `kept` is a checkpoint note kept outside the database."""
    problems: list[Problem] = []
    heads = _checked_checkpoints(conn, key, origin, problems)
    kept_head = None
    if kept is not None:
        try:
            kept_head = cp.open_note(kept, key, origin)
        except FairCollectError as exc:
            problems.append(Problem(None, f"the given checkpoint: {exc.message}"))
    head = read_head(conn)
    targets = {c.size for c in heads} | {head.size}
    if kept_head is not None:
        targets.add(kept_head.size)
    scan = _Scan(Frontier(), {}, problems)
    _scan_entries(conn, scan, sorted(targets))
    count = scan.frontier.size
    complete = not any(p.seq is not None for p in problems)
    if complete:
        _check_head(head, scan)
    prefixes = [(c, "stored checkpoint") for c in heads]
    if kept_head is not None:
        prefixes.append((kept_head, "the given checkpoint"))
    for head_cp, what in prefixes:
        if head_cp.size > count:
            if complete:
                problems.append(Problem(count, f"{what} of size {head_cp.size} covers entries "
                                               f"that are gone: the log ends at {count}"))
        elif scan.roots.get(head_cp.size) != head_cp.root:
            trusted = max((c.size for c in heads
                           if c.size < head_cp.size and scan.roots.get(c.size) == c.root),
                          default=0)
            problems.append(Problem(trusted, f"the log no longer extends the {what} of size "
                                             f"{head_cp.size}: an entry from {trusted} to "
                                             f"{head_cp.size - 1} was changed"))
    return Report(count, scan.frontier.root(), len(heads), tuple(problems))


def _checked_checkpoints(conn: Connection, key: Ed25519PublicKey, origin: str,
                         problems: list[Problem]) -> list[cp.Checkpoint]:
    """Stored checkpoints whose signature verifies and whose columns match their note."""
    good: list[cp.Checkpoint] = []
    c = audit_checkpoints.c
    for size, root, note in conn.execute(select(c.size, c.root, c.note).order_by(c.size)):
        try:
            head = cp.open_note(note, key, origin)
        except FairCollectError as exc:
            problems.append(Problem(None, f"stored checkpoint {size}: {exc.message}"))
            continue
        if head.size != size or head.root != bytes(root):
            problems.append(Problem(None, f"stored checkpoint {size}: columns differ from "
                                          "its signed note"))
        good.append(head)
    return good


def _scan_entries(conn: Connection, scan: _Scan, targets: Sequence[int]) -> None:
    chunk = 1 << CHUNK_LEVEL
    c = audit_entries.c
    # Plain DBAPI tuples: building SQLAlchemy Row objects would cost more than the hashing.
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cols = "seq, at, actor, action, subject, payload, leaf"
    table = conn.dialect.identifier_preparer.format_table(audit_entries)
    sql = f"SELECT {cols} FROM {table} WHERE seq >= {mark} AND seq < {mark} ORDER BY seq"
    cursor = conn.connection.cursor()
    base = 0
    try:
        while True:
            cursor.execute(sql, (base, base + chunk))
            rows = cursor.fetchall()
            if not rows:
                break
            if not _check_chunk(conn, scan, base, rows, targets):
                return
            if len(rows) < chunk:
                break
            base += chunk
    finally:
        cursor.close()
    # Entries past a hole would be unreachable by the loop above.
    stray = conn.execute(select(c.seq).where(c.seq >= scan.frontier.size).limit(1)).first()
    if stray is not None:
        scan.problems.append(Problem(scan.frontier.size, f"entry {scan.frontier.size} is missing"
                                     f" but later entries exist (from {stray[0]})"))


def _check_chunk(conn: Connection, scan: _Scan, base: int, rows: Sequence[Sequence[Any]],
                 targets: Sequence[int]) -> bool:
    """Verify one aligned chunk of entries; False once a problem has been recorded."""
    n = len(rows)
    if rows[-1][0] != base + n - 1:
        seq = next(base + i for i, r in enumerate(rows) if r[0] != base + i)
        scan.problems.append(Problem(seq, f"entry {seq} is missing"))
        return False
    leaves = [
        _sha256(b"".join((
            b'\x00{"action":"', r[3].encode(), b'","actor":"', r[2].encode(), b'","at":"',
            r[1].encode(), b'","payload":', r[5], b',"seq":', str(r[0]).encode(),
            b',"subject":"', r[4].encode(), b'"}',
        ))).digest()
        for r in rows  # the same bytes as canonical.entry_bytes, inlined: this is the hot loop
    ]
    if leaves != [bytes(r[6]) for r in rows]:
        seq = next(base + i for i, r in enumerate(rows) if leaves[i] != bytes(r[6]))
        scan.problems.append(Problem(seq, f"entry {seq} was altered: its fields no longer "
                                          "hash to its leaf"))
        return False
    levels = _perfect_levels(leaves)
    for t in targets:
        if base < t <= base + n:
            scan.roots[t] = _prefix_root(scan.frontier, levels, t - base)
    if 0 in targets and base == 0:
        scan.roots[0] = Frontier().root()
    expected: dict[tuple[int, int], bytes] = {}
    for level in range(NODE_LEVEL, len(levels)):
        first = base >> level
        expected.update(((level, first + i), h) for i, h in enumerate(levels[level]))
    offset = 0
    for level in range(len(levels) - 1, -1, -1):
        if (n - offset) >> level & 1:
            done = scan.frontier.append_subtree(level, levels[level][offset >> level],
                                                NODE_LEVEL)
            expected.update(((lv, ix), h) for lv, ix, h in done)
            offset += 1 << level
    return _check_nodes(conn, scan, expected)


def _perfect_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Hashes of the perfect subtrees inside an aligned chunk, level by level."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        it = iter(levels[-1])
        levels.append([_sha256(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)])
    return levels


def _prefix_root(before: Frontier, levels: list[list[bytes]], count: int) -> bytes:
    """Root of the tree ending `count` leaves into this chunk."""
    f = before.copy()
    offset = 0
    for level in range(len(levels) - 1, -1, -1):
        if count >> level & 1:
            # keep_from beyond any level: only the root is wanted, not completed subtrees
            f.append_subtree(level, levels[level][offset >> level], 64)
            offset += 1 << level
    return f.root()


def _check_nodes(conn: Connection, scan: _Scan,
                 expected: dict[tuple[int, int], bytes]) -> bool:
    """Compare the cached subtree hashes for this chunk with the recomputed ones."""
    if not expected:
        return True
    c = audit_nodes.c
    stored: dict[tuple[int, int], bytes] = {}
    for level in sorted({lv for lv, _ in expected}):
        idxs = [ix for lv, ix in expected if lv == level]
        rows = conn.execute(select(c.idx, c.hash).where(
            c.level == level, c.idx >= min(idxs), c.idx <= max(idxs)))
        stored.update(((level, int(r[0])), bytes(r[1])) for r in rows)
    bad = [k for k, h in expected.items() if stored.get(k) != h]
    if bad:
        # A changed leaf spoils every subtree above it: the smallest bad one pins it best.
        level, idx = min(bad, key=lambda k: (k[0], k[1]))
        first = idx << level
        scan.problems.append(Problem(first, f"the cached hash of entries {first}.."
                                            f"{((idx + 1) << level) - 1} does not match them"))
        return False
    return True


def _check_head(head: Head, scan: _Scan) -> None:
    f = scan.frontier
    if head.size < f.size:
        scan.problems.append(Problem(head.size, f"the head says {head.size} entries but "
                                                f"{f.size} are stored"))
    elif head.size > f.size:
        scan.problems.append(Problem(f.size, f"entries {f.size}..{head.size - 1} are missing "
                                             "(the log was truncated)"))
    elif head.root != f.root() or head.frontier != f.to_bytes():
        scan.problems.append(Problem(None, "the stored head does not match the entries"))
