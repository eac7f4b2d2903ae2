"""The frontier extends a tree leaf by leaf and reports each completed perfect subtree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircollect.audit import merkle
from faircollect.audit.frontier import Frontier


@given(st.integers(0, 300), st.integers(0, 60))
def test_frontier_root_and_completed_subtrees_match_direct_hashing(start: int, more: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(start + more)]
    lookup = merkle._memory_lookup(leaves)
    f = Frontier()
    for leaf in leaves[:start]:
        f.append(leaf)
    f = Frontier.from_bytes(start, f.to_bytes())  # survives a round trip through the store
    assert f.root() == merkle.root(leaves[:start])
    for leaf in leaves[start:]:
        for level, index, digest in f.append(leaf, keep_from=2):
            assert level >= 2
            assert digest == lookup((level, index))
    assert f.size == start + more
    assert f.root() == merkle.root(leaves)
    assert [lvl for lvl, _ in f.subtrees] == [
        b for b in range(f.size.bit_length() - 1, -1, -1) if f.size >> b & 1
    ]


def test_misaligned_subtrees_and_bad_bytes_are_refused() -> None:
    f = Frontier()
    f.append(merkle.leaf_hash(b"a"))
    with pytest.raises(ValueError):
        f.append_subtree(1, b"\0" * 32)
    with pytest.raises(ValueError):
        Frontier.from_bytes(3, b"\0" * 32)
    with pytest.raises(ValueError):
        Frontier.from_bytes(1, b"\0" * 31)


@given(st.integers(0, 300), st.lists(st.integers(0, 40), max_size=6))
def test_extending_in_batches_equals_appending_one_by_one(start: int, batches: list[int]) -> None:
    total = start + sum(batches)
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(total)]
    one, many = Frontier(), Frontier()
    seen_one: list[tuple[int, int, bytes]] = []
    seen_many: list[tuple[int, int, bytes]] = []
    for leaf in leaves[:start]:
        seen_one += one.append(leaf, keep_from=3)
    seen_many += many.extend(leaves[:start], keep_from=3)
    pos = start
    for n in batches:
        for leaf in leaves[pos : pos + n]:
            seen_one += one.append(leaf, keep_from=3)
        seen_many += many.extend(leaves[pos : pos + n], keep_from=3)
        pos += n
        assert many.to_bytes() == one.to_bytes() and many.size == one.size
    assert sorted(seen_many) == sorted(seen_one)
    assert many.root() == merkle.root(leaves)
