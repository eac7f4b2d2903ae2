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
