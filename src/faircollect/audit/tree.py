"""Proofs from the stored tree: O(log n) rows per proof, whatever the log's size.

A proof element is the hash of a range of leaves, which `merkle.perfect_cover` breaks into
perfect aligned subtrees. Subtrees of 2**NODE_LEVEL leaves or more are single rows of
`audit_nodes`; smaller ones are rebuilt from the <= 16 leaf hashes of their block.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, or_, select

from faircollect.audit import merkle
from faircollect.audit.log import check_size, read_head
from faircollect.audit.merkle import Node
from faircollect.errors import InputError, IntegrityError, NotFound
from faircollect.store.tables.audit import NODE_LEVEL, audit_entries, audit_nodes

_BLOCK = 1 << NODE_LEVEL
_IN_CHUNK = 400  # bound parameter lists well under every driver's limit


def subtree_hashes(conn: Connection, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """Hashes of perfect aligned subtrees, read from the node cache and leaf blocks."""
    wanted = set(nodes)
    big = sorted(n for n in wanted if n[0] >= NODE_LEVEL)
    small = [n for n in wanted if n[0] < NODE_LEVEL]
    found: dict[Node, bytes] = {}
    c = audit_nodes.c
    for i in range(0, len(big), _IN_CHUNK):
        chunk = big[i : i + _IN_CHUNK]
        # `level = ? AND idx IN (...)` per level, OR-ed: both SQLite and PostgreSQL search
        # the primary key for each term (a row-value IN made SQLite scan the whole table).
        by_level: dict[int, list[int]] = {}
        for level, idx in chunk:
            by_level.setdefault(level, []).append(idx)
        where = or_(*(and_(c.level == lv, c.idx.in_(ix)) for lv, ix in by_level.items()))
        rows = conn.execute(select(c.level, c.idx, c.hash).where(where))
        found.update(((int(r[0]), int(r[1])), bytes(r[2])) for r in rows)
    leaves = _leaf_blocks(conn, {(idx << level) >> NODE_LEVEL for level, idx in small})
    for level, idx in small:
        start = idx << level
        part = [leaves.get(s) for s in range(start, start + (1 << level))]
        if all(p is not None for p in part):
            found[(level, idx)] = merkle.root(part)  # type: ignore[arg-type]
    missing = [n for n in wanted if n not in found]
    if missing:
        level, idx = min(missing, key=lambda n: n[1] << n[0])
        raise IntegrityError(
            f"audit log damaged: the stored tree lacks leaves {idx << level}.."
            f"{((idx + 1) << level) - 1}", seq=idx << level)
    return found


def _leaf_blocks(conn: Connection, blocks: set[int]) -> dict[int, bytes]:
    """Leaf hashes of whole 16-leaf blocks, one range query per run of adjacent blocks."""
    out: dict[int, bytes] = {}
    c = audit_entries.c
    for first, last in _runs(sorted(blocks)):
        rows = conn.execute(
            select(c.seq, c.leaf).where(c.seq >= first * _BLOCK, c.seq < (last + 1) * _BLOCK)
        )
        out.update((int(r[0]), bytes(r[1])) for r in rows)
    return out


def _runs(sorted_ids: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in sorted_ids:
        if runs and runs[-1][1] + 1 == i:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def hash_ranges(conn: Connection, ranges: list[merkle.Range]) -> list[bytes]:
    """Tree hashes of leaf ranges, reading every needed subtree in a few queries."""
    lookup = subtree_hashes(conn, merkle.proof_nodes(ranges))
    return [merkle.range_hash(a, b, lookup.__getitem__) for a, b in ranges]


def root_at(conn: Connection, size: int) -> bytes:
    """The root of the first `size` leaves, as the stored tree gives it."""
    return hash_ranges(conn, [(0, size)])[0] if size else merkle.EMPTY_ROOT


def inclusion_proof(conn: Connection, seq: int, size: int | None = None) -> list[bytes]:
    """RFC 9162 inclusion proof of entry `seq` in the tree of `size` (default: current)."""
    tree_size = check_size(read_head(conn), size)
    if not 0 <= seq < tree_size:
        raise NotFound(f"no audit entry {seq} in a tree of {tree_size} entries", seq=seq)
    return hash_ranges(conn, merkle.inclusion_ranges(seq, tree_size))


def consistency_proof(conn: Connection, old: int, new: int | None = None) -> list[bytes]:
    """RFC 9162 consistency proof between tree sizes `old` and `new` (default: current)."""
    head = read_head(conn)
    new_size = check_size(head, new)
    check_size(head, old)
    if old > new_size:
        raise InputError(f"old size {old} is larger than new size {new_size}", field="old")
    return hash_ranges(conn, merkle.consistency_ranges(old, new_size))
