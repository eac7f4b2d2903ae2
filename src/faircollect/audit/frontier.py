"""The frontier of a growing Merkle tree: the perfect subtrees that cover leaves [0, size).

A tree of `size` leaves is covered by one perfect subtree per set bit of `size`, largest
first. Appending a leaf merges equal-sized subtrees the way a binary counter carries. The
frontier is all the log needs to extend the tree and compute its root, so appending never
reads old leaves; each merge completes a perfect subtree the store may cache for proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from faircollect.audit.merkle import HASH_SIZE, fold, node_hash

_sha256 = hashlib.sha256


class Frontier:
    """Mutable right edge of a Merkle tree (a value object would copy on every leaf)."""

    __slots__ = ("size", "_hashes", "_levels")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self.size = size
        self._hashes = list(hashes)
        self._levels = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if len(self._levels) != len(self._hashes):
            raise ValueError(f"a frontier of size {size} needs {len(self._levels)} hashes")

    @classmethod
    def from_bytes(cls, size: int, blob: bytes) -> Frontier:
        """Rebuild a frontier stored as its hashes concatenated, largest subtree first."""
        if len(blob) % HASH_SIZE:
            raise ValueError("frontier bytes are not a whole number of hashes")
        return cls(size, [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)])

    def to_bytes(self) -> bytes:
        return b"".join(self._hashes)

    @property
    def subtrees(self) -> list[tuple[int, bytes]]:
        """`(level, hash)` of each covering subtree, largest first."""
        return list(zip(self._levels, self._hashes, strict=True))

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves so far."""
        return fold(self._hashes)

    def append(self, leaf: bytes, keep_from: int = 1) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns `(level, index, hash)` of completed subtrees >= keep_from."""
        return self.append_subtree(0, leaf, keep_from)

    def append_subtree(
        self, level: int, digest: bytes, keep_from: int = 1
    ) -> list[tuple[int, int, bytes]]:
        """Add a perfect subtree of 2**level leaves; its start must be aligned to its size."""
        if self.size & ((1 << level) - 1):
            raise ValueError(f"a level-{level} subtree cannot start at leaf {self.size}")
        self.size += 1 << level
        done: list[tuple[int, int, bytes]] = []
        levels, hashes = self._levels, self._hashes
        while levels and levels[-1] == level:
            levels.pop()
            digest = node_hash(hashes.pop(), digest)
            level += 1
            if level >= keep_from:
                done.append((level, (self.size >> level) - 1, digest))
        levels.append(level)
        hashes.append(digest)
        return done

    def extend(self, leaves: Sequence[bytes], keep_from: int = 1) -> list[tuple[int, int, bytes]]:
        """Add many leaf hashes at once, hashing level by level (far fewer Python steps).

        At level l the new nodes start at index size >> l; when that index is odd, its left
        sibling is the frontier's level-l subtree, which joins the run. An odd node left at
        the end of a level is the new frontier's subtree for that level.
        """
        old = dict(zip(self._levels, self._hashes, strict=True))
        fresh: dict[int, bytes] = {}
        done: list[tuple[int, int, bytes]] = []
        run, start, level = list(leaves), self.size, 0
        while run:
            if start & 1:
                run = [old[level], *run]
                start -= 1
            it = iter(run)
            parents = [_sha256(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)]
            if len(run) & 1:
                fresh[level] = run[-1]
            start >>= 1
            level += 1
            if level >= keep_from:
                done.extend((level, start + i, h) for i, h in enumerate(parents))
            run = parents
        self.size += len(leaves)
        self._levels = [b for b in range(self.size.bit_length() - 1, -1, -1) if self.size >> b & 1]
        self._hashes = [fresh[b] if b in fresh else old[b] for b in self._levels]
        return done

    def copy(self) -> Frontier:
        return Frontier(self.size, self._hashes)
