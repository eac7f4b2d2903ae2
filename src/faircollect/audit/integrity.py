"""Full verification of the stored log: recompute every leaf, subtree and root.

Only signed checkpoints are trusted. `scan` reads entries in aligned chunks, rebuilds each
entry's canonical bytes and leaf hash, compares them with the stored leaf and the cached
subtree hashes inside the chunk; a large log is split into ranges scanned in parallel
processes. Here the chunks' perfect subtrees are folded, in order, into one frontier, which
gives the root, the roots at every checkpointed size and the subtrees spanning chunks; the
head is compared with it, and every stored checkpoint (and, optionally, one kept outside)
must be signed and a prefix of this tree. The scan stops at the first damaged entry, which
is what an auditor needs to start from.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, func, select, text

from faircollect.audit import checkpoint as cp
from faircollect.audit.frontier import Frontier
from faircollect.audit.log import Head, read_head
from faircollect.audit.scan import Part, scan_part, scan_range, subtree_problem
from faircollect.audit.sqlite_reader import database_file, native_reader, on_disk
from faircollect.errors import FairCollectError
from faircollect.store.tables.audit import (
    NODE_LEVEL,
    RECORD_FIELDS,
    audit_checkpoints,
    audit_entries,
    audit_nodes,
)

CHUNK_LEVEL = 16  # leaves are read and hashed 65,536 at a time
PARALLEL_FROM = 200_000  # smaller logs are verified in one process: starting another costs more


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
    """Running state while chunks are combined (mutable on purpose: the loop's accumulator)."""

    frontier: Frontier
    roots: dict[int, bytes]
    problems: list[Problem]


def verify_log(conn: Connection, key: Ed25519PublicKey, *, origin: str = cp.DEFAULT_ORIGIN,
               kept: str | None = None, workers: int | None = None,
               chunk_level: int = CHUNK_LEVEL, native: bool = True) -> Report:
    """Verify the whole stored log; `kept` is a checkpoint note kept outside the database.

    `workers` processes share the scan (default: 2 for logs of PARALLEL_FROM entries or more
    when there are cores to spare, else 1). Extra processes read the committed rows through
    connections of their own, so they are used only when the caller has no transaction open
    and the database is a file or a server. `chunk_level` sets how many rows are read and
    hashed at a time (tests make it small to exercise many chunks). `native=False` reads
    SQLite through the Python driver even where the native reader could be used.
    """
    fresh = not conn.in_transaction()
    problems: list[Problem] = []
    heads = _checked_checkpoints(conn, key, origin, problems)
    kept_head = None
    if kept is not None:
        try:
            kept_head = cp.open_note(kept, key, origin)
        except FairCollectError as exc:
            problems.append(Problem(None, f"the given checkpoint: {exc.message}"))
    _check_generated(conn, problems)
    head = read_head(conn)
    end = _stored_end(conn, problems)
    targets = {c.size for c in heads} | {head.size}
    if kept_head is not None:
        targets.add(kept_head.size)
    if workers is None:
        workers = _default_workers(conn, end)
    if not fresh or not _shareable(conn):
        workers = 1  # other processes would not see the caller's uncommitted work
    # Reading an SQLite file natively is another connection too: committed rows only.
    file = (database_file(conn) if native and fresh and native_reader() is not None
            else None)
    scan = _Scan(Frontier(), {0: Frontier().root()} if 0 in targets else {}, problems)
    parts = run_parts(conn, plan(end, workers, chunk_level), sorted(targets), chunk_level,
                      file)
    _combine(conn, scan, parts)
    count = scan.frontier.size
    located = min((p.seq for p in problems if p.seq is not None), default=None)
    complete = located is None
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
            # A problem already pinned down inside this checkpoint explains it more closely.
            seq = trusted if located is None or located >= head_cp.size else None
            problems.append(Problem(seq, f"the log no longer extends the {what} of size "
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


def _check_generated(conn: Connection, problems: list[Problem]) -> None:
    """The queried columns must still be generated from the record, as the schema made them.

    Otherwise someone could make `subject` or `action` say one thing while the verified
    record says another, and every query by those columns would mislead.
    """
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            "SELECT column_name, is_generated, generation_expression "
            "FROM information_schema.columns "
            "WHERE table_name = 'audit_entries' AND table_schema = current_schema()"))
        found = {name: _squeeze(expr or "") if generated == "ALWAYS" else None
                 for name, generated, expr in rows}
        expected = {name: _squeeze(f"record::jsonb->>'{name}'::text") for name in RECORD_FIELDS}
    else:
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'audit_entries'")).scalar_one_or_none() or ""
        hidden = {r[1]: r[6] for r in conn.execute(text("PRAGMA table_xinfo(audit_entries)"))}
        found = {name: name if hidden.get(name) in (2, 3) and re.search(
            rf"\b{name}\s+VARCHAR\(\d+\)\s+GENERATED\s+ALWAYS\s+AS\s*"
            rf"\(\s*json_extract\(record,\s*'\$\.{name}'\)\s*\)", sql) else None
            for name in RECORD_FIELDS}
        expected = {name: name for name in RECORD_FIELDS}
    for name in RECORD_FIELDS:
        if found.get(name) != expected[name]:
            problems.append(Problem(None, f"column audit_entries.{name} is no longer generated "
                                          "from the record: queries by it cannot be trusted"))


def _squeeze(expr: str) -> str:
    return re.sub(r"[\s()]", "", expr)


def _stored_end(conn: Connection, problems: list[Problem]) -> int:
    """One past the highest stored sequence number (entries before it must all exist)."""
    c = audit_entries.c
    low, high = conn.execute(select(func.min(c.seq), func.max(c.seq))).one()
    if low is not None and low < 0:
        problems.append(Problem(None, f"an entry has the negative sequence number {low}"))
    return 0 if high is None else int(high) + 1


def _default_workers(conn: Connection, end: int) -> int:
    """2 processes for a large log, when there are cores to spare.

    A PostgreSQL server spends a core of its own on each reading connection, so a second
    reader pays only with 4 cores or more (on 2 it measured slower than one).
    """
    cores = os.cpu_count() or 1
    needed = 4 if conn.dialect.name == "postgresql" else 2
    return 2 if end >= PARALLEL_FROM and cores >= needed else 1


def _shareable(conn: Connection) -> bool:
    """Whether another process opening the same URL sees the same database."""
    url = conn.engine.url
    return url.get_backend_name() == "postgresql" or on_disk(url)


def plan(end: int, workers: int, chunk_level: int) -> list[tuple[int, int]]:
    """Split [0, end) into at most `workers` ranges, each starting on a chunk boundary."""
    chunk = 1 << chunk_level
    chunks = -(-end // chunk)
    per = max(1, -(-chunks // max(1, workers))) * chunk
    return [(lo, min(lo + per, end)) for lo in range(0, end, per)] or [(0, 0)]


def run_parts(conn: Connection, ranges: list[tuple[int, int]], targets: Sequence[int],
              chunk_level: int, file: str | None = None) -> list[Part]:
    """Scan the ranges, the first here and the rest each in a process of its own.

    `file`: the SQLite database to read natively (see `scan_range`), or None.
    """
    def wanted(lo: int, hi: int) -> list[int]:
        return [t for t in targets if lo < t <= hi]

    if len(ranges) == 1:
        lo, hi = ranges[0]
        return [scan_range(conn, lo, hi, wanted(lo, hi), chunk_level, file=file)]
    url = conn.engine.url.render_as_string(hide_password=False)
    # fork starts a worker in milliseconds; it is only safe while this process has one thread.
    method = "fork" if ("fork" in mp.get_all_start_methods()
                        and threading.active_count() == 1) else "spawn"
    with ProcessPoolExecutor(len(ranges) - 1, mp_context=mp.get_context(method)) as pool:
        futures = [pool.submit(scan_part, url, lo, hi, wanted(lo, hi), chunk_level, file)
                   for lo, hi in ranges[1:]]
        lo, hi = ranges[0]
        first = scan_range(conn, lo, hi, wanted(lo, hi), chunk_level, file=file)
        return [first, *(f.result() for f in futures)]


def _combine(conn: Connection, scan: _Scan, parts: list[Part]) -> None:
    """Fold the parts' chunk subtrees into the frontier, in order, up to the first problem."""
    f = scan.frontier
    expected: dict[tuple[int, int], bytes] = {}
    problem = None
    for part in parts:
        for chunk in part.chunks:
            for size, cover in chunk.prefixes:
                g = f.copy()
                for level, digest in cover:
                    g.append_subtree(level, digest, 64)  # only the root is wanted
                scan.roots[size] = g.root()
            for level, digest in chunk.cover:
                done = f.append_subtree(level, digest, NODE_LEVEL)
                expected.update(((lv, ix), h) for lv, ix, h in done)
        if part.problem is not None:
            problem = Problem(*part.problem)
            break
    # Subtrees spanning chunks were completed here; all lie before any problem found.
    bad = _check_nodes(conn, expected)
    if bad is not None:
        scan.problems.append(bad)
    elif problem is not None:
        scan.problems.append(problem)


def _check_nodes(conn: Connection, expected: dict[tuple[int, int], bytes]) -> Problem | None:
    """Compare the cached hashes of subtrees spanning chunks with the recomputed ones."""
    if not expected:
        return None
    c = audit_nodes.c
    stored: dict[tuple[int, int], bytes] = {}
    for level in sorted({lv for lv, _ in expected}):
        idxs = [ix for lv, ix in expected if lv == level]
        rows = conn.execute(select(c.idx, c.hash).where(
            c.level == level, c.idx >= min(idxs), c.idx <= max(idxs)))
        stored.update(((level, int(r[0])), bytes(r[1])) for r in rows)
    bad = [k for k, h in expected.items() if stored.get(k) != h]
    if not bad:
        return None
    # A changed leaf spoils every subtree above it: the smallest bad one pins it best.
    level, idx = min(bad)
    return Problem(*subtree_problem(conn, level, idx))


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
