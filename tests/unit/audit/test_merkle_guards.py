"""Merkle verifiers refuse what a naive loop would accept: equal sizes with different roots,
indexes outside the tree, and proofs with hashes to spare.

These are the guards in front of RFC 9162's loops. They were exercised only with empty
proofs, so removing one (or an equal-size check that ignores the roots) went unnoticed.
"""

from __future__ import annotations

import pytest

from faircollect.audit import merkle


def leaves(n: int) -> list[bytes]:
    return merkle.leaf_hashes([f"record {i}".encode() for i in range(n)])


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 8])
def test_equal_sizes_are_consistent_only_when_the_roots_are_equal(size: int) -> None:
    tree = leaves(size)
    root = merkle.root(tree)
    other = merkle.root(leaves(size + 1)[1:])  # another tree of the same size
    assert merkle.verify_consistency(size, size, root, root, [])
    assert not merkle.verify_consistency(size, size, root, other, [])
    assert not merkle.verify_consistency(size, size, other, root, [])
    assert not merkle.verify_consistency(size, size, root, root, [root])  # nothing to prove


def test_a_shrunk_tree_is_not_consistent() -> None:
    big, small = leaves(5), leaves(3)
    proof = merkle.consistency_proof(3, big)
    assert merkle.verify_consistency(3, 5, merkle.root(small), merkle.root(big), proof)
    assert not merkle.verify_consistency(5, 3, merkle.root(big), merkle.root(small), proof)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_an_index_outside_the_tree_never_verifies(size: int) -> None:
    tree = leaves(size)
    root = merkle.root(tree)
    for index in range(size):
        proof = merkle.inclusion_proof(index, tree)
        assert merkle.verify_inclusion(tree[index], index, size, proof, root)
        # The same leaf and proof claimed at an index the tree does not have.
        for bad in (index + size, size, -1, -size):
            if bad != index:
                assert not merkle.verify_inclusion(tree[index], bad, size, proof, root), (
                    index, bad)


def test_a_one_leaf_tree_accepts_index_zero_only() -> None:
    (leaf,) = leaves(1)
    root = merkle.root([leaf])
    assert leaf == root
    assert merkle.verify_inclusion(leaf, 0, 1, [], root)
    assert not merkle.verify_inclusion(leaf, 1, 1, [], root)
    assert not merkle.verify_inclusion(leaf, 0, 0, [], root)


@pytest.mark.parametrize("size", [2, 3, 6])
def test_a_proof_with_a_hash_to_spare_never_verifies(size: int) -> None:
    tree = leaves(size)
    root = merkle.root(tree)
    for index in range(size):
        proof = merkle.inclusion_proof(index, tree)
        assert not merkle.verify_inclusion(tree[index], index, size, [*proof, root], root)
    for old in range(1, size):
        proof = merkle.consistency_proof(old, tree)
        old_root = merkle.root(tree[:old])
        assert merkle.verify_consistency(old, size, old_root, root, proof)
        assert not merkle.verify_consistency(old, size, old_root, root, [*proof, root])


def test_sizes_given_the_wrong_way_round_never_verify() -> None:
    # Without the old <= new guard, RFC 9162's loop accepts this: the sizes of a real 2 -> 3
    # extension swapped, with the 2-leaf root prepended to its proof.
    tree = leaves(3)
    two, three = merkle.root(tree[:2]), merkle.root(tree)
    proof = merkle.consistency_proof(2, tree)
    assert merkle.verify_consistency(2, 3, two, three, proof)
    assert not merkle.verify_consistency(3, 2, two, three, [two, *proof])


def test_out_of_range_requests_name_what_is_wrong() -> None:
    """A bad range, leaf or size pair is refused with the numbers that make it bad."""
    from faircollect.audit.merkle import consistency_ranges, inclusion_ranges, perfect_cover

    with pytest.raises(ValueError, match=r"^bad range \[5, 3\)$"):
        perfect_cover(5, 3)
    with pytest.raises(ValueError, match=r"^leaf 7 is not in a tree of size 7$"):
        inclusion_ranges(7, 7)
    with pytest.raises(ValueError, match=r"^cannot prove size 9 against size 4$"):
        consistency_ranges(9, 4)
