"""Merkle tree hashing, proofs and proof verification as in RFC 6962 / RFC 9162 (pure).

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left ||
right); the root of an unbalanced tree splits at the largest power of two below its size.

Proofs are described first as *ranges* of leaves `[start, end)` whose Merkle tree hash is a
proof element. A range is either a perfect, aligned subtree or the ragged right edge of one;
`perfect_cover` breaks it into perfect aligned subtrees `(level, index)`, which is what a
store keeps. That split lets the database layer fetch O(log n) rows for any proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

_sha256 = hashlib.sha256

EMPTY_ROOT = _sha256(b"").digest()
HASH_SIZE = 32

# A perfect aligned subtree: `(level, index)` covers leaves [index << level, (index+1) << level).
Node = tuple[int, int]
Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf's data."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


def leaf_hashes(records: Sequence[bytes]) -> list[bytes]:
    """Leaf hashes of many records (a comprehension: the fastest loop CPython offers)."""
    return [_sha256(b"\x00" + r).digest() for r in records]


def next_level(level: Sequence[bytes]) -> list[bytes]:
    """Hash pairs of a level; an odd last node is carried up unchanged, as RFC 6962 implies."""
    it = iter(level)
    upper = [_sha256(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)]
    if len(level) % 2:
        upper.append(level[-1])
    return upper


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a list of leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        level = next_level(level)
    return level[0]


def split_point(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine subtree hashes listed left to right (largest first) into one tree hash.

    The RFC split always puts a perfect subtree on the left, so a range made of perfect
    subtrees of decreasing size hashes as node(h0, node(h1, node(h2, ...))).
    """
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def perfect_cover(start: int, end: int) -> list[Node]:
    """Perfect aligned subtrees covering [start, end), largest (leftmost) first."""
    if not 0 <= start <= end:
        raise ValueError(f"bad range [{start}, {end})")
    out: list[Node] = []
    while start < end:
        # Largest power of two that keeps `start` aligned and stays inside the range.
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form the RFC 9162 inclusion proof of `index`, leaf side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index - lo < k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose hashes form the RFC 9162 consistency proof from `old` to `new`."""
    if not 0 <= old <= new:
        raise ValueError(f"cannot prove size {old} against size {new}")
    if old == 0 or old == new:
        return []
    path: list[Range] = []
    lo, hi, m, whole = 0, new, old, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                path.append((lo, hi))
            break
        k = split_point(n)
        if m <= k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    path.reverse()
    return path


def range_hash(start: int, end: int, subtree: Callable[[Node], bytes]) -> bytes:
    """The tree hash of a proof range, from a lookup of perfect aligned subtree hashes."""
    return fold([subtree(node) for node in perfect_cover(start, end)])


def proof_nodes(ranges: Sequence[Range]) -> set[Node]:
    """Every perfect subtree a store must read to answer these proof ranges."""
    return {node for start, end in ranges for node in perfect_cover(start, end)}


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof of leaf `index` in the tree of `leaves` (in-memory convenience)."""
    lookup = _memory_lookup(leaves)
    return [range_hash(a, b, lookup) for a, b in inclusion_ranges(index, len(leaves))]


def consistency_proof(old: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Consistency proof from the first `old` leaves to all of `leaves` (in memory)."""
    lookup = _memory_lookup(leaves)
    return [range_hash(a, b, lookup) for a, b in consistency_ranges(old, len(leaves))]


def _memory_lookup(leaves: Sequence[bytes]) -> Callable[[Node], bytes]:
    def lookup(node: Node) -> bytes:
        level, index = node
        return root(leaves[index << level : (index + 1) << level])

    return lookup


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does `proof` place `leaf` at `index` under `expected_root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of size `new` an extension of the one of `old`?"""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof  # every tree extends the empty one
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
