"""The hot loop of verification: stored records -> leaf hashes -> perfect subtree hashes.

`scan_range` reads entries [lo, hi) with the raw driver cursor in aligned chunks of
2**chunk_level rows (a server-side cursor on PostgreSQL), fetching only each record's bytes
and its stored leaf. Per chunk it checks that every record hashes to its stored leaf, that
no row is missing and that the cached subtree hashes inside the chunk match, and returns
the perfect subtrees covering the chunk (plus the covers of any wanted tree sizes inside
it). The hashing runs in `hashing` (native code where it was built), over levels kept as
contiguous bytes: no Python object is made per entry beyond the rows the driver returns.

The results are plain tuples, so a range can be scanned in another process
(`scan_part`, which opens its own connection) and combined by the caller in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.pool import NullPool

from faircollect.audit.entry import LoggedEntry
from faircollect.audit.hashing import leaf_level, parent_level
from faircollect.audit.sqlite_reader import ALTERED, MISSING, Reader, native_reader
from faircollect.errors import IntegrityError
from faircollect.store.tables.audit import NODE_LEVEL, audit_entries, audit_nodes

BATCH_LEVEL = 11  # rows are fetched and hashed 2,048 at a time
_H = 32  # bytes per hash
_SHORT = "short"  # a batch found fewer rows than asked for

Cover = tuple[tuple[int, bytes], ...]  # (level, hash) of perfect subtrees, largest first


class Chunk(NamedTuple):
    """One verified chunk: where it starts, how many entries, and its perfect subtrees."""

    base: int
    size: int
    cover: Cover
    prefixes: tuple[tuple[int, Cover], ...]  # (tree size, cover of [base, size)) inside it


class Part(NamedTuple):
    """A scanned range: its good chunks in order, then the first problem, if any."""

    chunks: list[Chunk]
    problem: tuple[int, str] | None


def scan_part(url: str, lo: int, hi: int, targets: Sequence[int], chunk_level: int,
              file: str | None = None) -> Part:
    """`scan_range` over a connection of its own (the entry point of a worker process)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return scan_range(conn, lo, hi, targets, chunk_level, file=file)
    finally:
        engine.dispose()


Levels = list[bytearray]  # a chunk's leaf hashes, then each level of subtrees above them
Found = tuple[int, str]  # (first bad sequence number, what is wrong)


def scan_range(conn: Connection, lo: int, hi: int, targets: Sequence[int],
               chunk_level: int, *, file: str | None = None) -> Part:
    """Verify entries [lo, hi) (lo aligned to the chunk size); stops at the first problem.

    With `file` (an SQLite database holding only committed work of interest) the entries
    are read natively from it, see `sqlite_reader`; otherwise through `conn`'s driver.
    """
    chunk = 1 << chunk_level
    if lo & (chunk - 1):
        raise ValueError(f"a scan must start at a multiple of {chunk}, not {lo}")
    pg = conn.dialect.name == "postgresql"
    driver: Any = conn.connection.driver_connection
    rows_cur = driver.cursor("faircollect_audit_scan", binary=True) if pg else driver.cursor()
    nodes_cur = driver.cursor(binary=True) if pg else driver.cursor()
    entries_sql, nodes_sql = _queries(conn, pg)
    reader = native_reader() if file is not None else None
    chunks: list[Chunk] = []
    try:
        if reader is None:
            rows_cur.execute(entries_sql, (lo, hi))
        for base in range(lo, hi, chunk):
            want = min(chunk, hi - base)
            if reader is not None and file is not None:
                found = _native_levels(reader, file, base, want)
            else:
                found = _driver_levels(rows_cur, base, want, 1 << min(BATCH_LEVEL, chunk_level))
            if isinstance(found, tuple):
                if found[1] == _SHORT:  # rows ran out early: some entry is missing
                    gap = _first_missing(nodes_cur, conn, lo, hi)
                    at = hi if gap is None else gap
                    found = (at, f"entry {at} is missing")
                return Part(chunks, found)
            levels = found
            while len(levels[-1]) > _H:
                levels.append(bytearray(parent_level(levels[-1])))
            bad = _check_nodes(conn, levels, base, nodes_cur, nodes_sql)
            if bad is not None:
                return Part(chunks, bad)
            chunks.append(Chunk(base, want, cover(levels, want), tuple(
                (t, cover(levels, t - base)) for t in targets if base < t <= base + want)))
    finally:
        rows_cur.close()
        nodes_cur.close()
    return Part(chunks, None)


def _driver_levels(rows_cur: Any, base: int, want: int, batch: int) -> Levels | Found:
    """A chunk's levels from rows fetched through the driver, `batch` rows at a time."""
    levels: Levels = [bytearray()]
    done = 0
    while done < want:
        n = min(batch, want - done)
        found = _batch_levels(rows_cur.fetchmany(n), base + done, n)
        if isinstance(found, tuple):
            return found
        for level, hashes in enumerate(found):
            if level == len(levels):
                levels.append(bytearray())
            levels[level] += hashes
        done += n
    return levels


def _native_levels(reader: Reader, file: str, base: int, want: int) -> Levels | Found:
    """A chunk's leaf level read natively from the SQLite file (sequence numbers checked)."""
    leaves, good, outcome = reader(file, base, base + want)
    if outcome == ALTERED:
        return base + good, (f"entry {base + good} was altered: its record no longer "
                             "hashes to its leaf")
    if outcome == MISSING:
        return base + good, f"entry {base + good} is missing"
    return [bytearray(leaves)]


def _first_missing(cur: Any, conn: Connection, lo: int, hi: int) -> int | None:
    """The lowest sequence number in [lo, hi) with no stored entry, or None."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = conn.dialect.identifier_preparer.format_table(audit_entries)
    in_range = f"seq >= {mark} AND seq < {mark}"
    cur.execute(f"SELECT count(*) FROM {table} WHERE {in_range}", (lo, hi))
    if cur.fetchone()[0] == hi - lo:
        return None
    cur.execute(f"SELECT min(seq) FROM {table} WHERE {in_range}", (lo, hi))
    low = cur.fetchone()[0]
    if low is None or low > lo:
        return lo
    cur.execute(f"SELECT min(a.seq) FROM {table} a WHERE a.seq >= {mark} AND a.seq < {mark} "
                f"AND NOT EXISTS (SELECT 1 FROM {table} b WHERE b.seq = a.seq + 1)",
                (lo, hi - 1))
    return int(cur.fetchone()[0]) + 1


def _queries(conn: Connection, pg: bool) -> tuple[str, str]:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    fmt = conn.dialect.identifier_preparer.format_table
    # The record's bytes as stored (UTF-8), without a decode and re-encode in Python.
    record = "convert_to(record, 'UTF8')" if pg else "CAST(record AS BLOB)"
    entries = (f"SELECT {record}, leaf FROM {fmt(audit_entries)} "
               f"WHERE seq >= {mark} AND seq < {mark} ORDER BY seq")
    nodes = (f"SELECT hash FROM {fmt(audit_nodes)} "
             f"WHERE level = {mark} AND idx >= {mark} AND idx < {mark} ORDER BY idx")
    return entries, nodes


def _batch_levels(rows: Sequence[Sequence[Any]], start: int,
                  want: int) -> list[bytes] | tuple[int, str]:
    """Leaf hashes of rows start.., and the perfect subtrees above them; or the first problem.

    Batches are small (hashing them while their rows are in the CPU cache measured faster
    than whole chunks) and aligned, so their subtrees are the chunk's subtrees.
    """
    leaves, good = leaf_level(rows)
    if good < len(rows):
        return start + good, (f"entry {start + good} was altered: its record no longer "
                              "hashes to its leaf")
    if len(rows) < want:
        return start + len(rows), _SHORT
    levels = [leaves]
    while len(levels[-1]) > _H:
        levels.append(parent_level(levels[-1]))
    return levels


def _check_nodes(conn: Connection, levels: Levels, base: int, cur: Any,
                 sql: str) -> tuple[int, str] | None:
    """Compare the cached subtree hashes inside the chunk, lowest level first."""
    for level in range(NODE_LEVEL, len(levels)):
        hashes = levels[level]
        first = base >> level
        count = len(hashes) // _H
        cur.execute(sql, (level, first, first + count))
        stored = b"".join(bytes(r[0]) for r in cur.fetchall())
        if stored != hashes:
            i = next((i for i in range(count)
                      if stored[i * _H:(i + 1) * _H] != hashes[i * _H:(i + 1) * _H]),
                     count - 1)
            return subtree_problem(conn, level, first + i)
    return None


# Up to this many entries are re-read to pin a bad subtree down to one entry.
PINPOINT_LIMIT = 1 << 20


def subtree_problem(conn: Connection, level: int, idx: int) -> tuple[int, str]:
    """The problem behind a cached subtree hash that no longer matches its entries.

    Every record read there hashed to its stored leaf, so rows were deleted, or records
    were rewritten together with their leaves, or moved. A missing row, or a record that is
    not the canonical entry for its place (its own sequence number differs, say), is pinned
    down; otherwise the whole subtree is reported.
    """
    start, end = idx << level, (idx + 1) << level
    if end - start <= PINPOINT_LIMIT:
        c = audit_entries.c
        rows = conn.execute(select(c.seq, c.record).where(c.seq >= start, c.seq < end)
                            .order_by(c.seq))
        expected = start
        for seq, record in rows:
            if seq != expected:
                break
            try:
                LoggedEntry.from_record(int(seq), record, b"")
            except IntegrityError:
                return int(seq), (f"entry {seq} was moved or rewritten: its record is not the "
                                  "entry logged at that place")
            expected += 1
        if expected < end:
            return expected, f"entry {expected} is missing"
    return start, f"the cached hash of entries {start}..{end - 1} does not match them"


def cover(levels: Sequence[bytes | bytearray], count: int) -> Cover:
    """The perfect subtrees covering the first `count` leaves of a chunk, largest first."""
    out = []
    offset = 0
    for level in range(len(levels) - 1, -1, -1):
        if count >> level & 1:
            i = (offset >> level) * _H
            out.append((level, bytes(levels[level][i:i + _H])))
            offset += 1 << level
    return tuple(out)
