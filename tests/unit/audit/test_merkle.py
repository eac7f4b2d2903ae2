"""Merkle hashing and proofs against RFC 6962 vectors and a naive recursive reference."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.audit import merkle

# --- A naive reference, written straight from RFC 6962 section 2.1 (MTH, PATH, PROOF). ---


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + data[0])
    k = _k(n)
    return _h(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:]))


def ref_path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n <= 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, data[:k]) + [ref_mth(data[k:])]
    return ref_path(m - k, data[k:]) + [ref_mth(data[:k])]


def ref_proof(m: int, data: list[bytes]) -> list[bytes]:
    def sub(m: int, d: list[bytes], whole: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if whole else [ref_mth(d)]
        k = _k(n)
        if m <= k:
            return sub(m, d[:k], whole) + [ref_mth(d[k:])]
        return sub(m - k, d[k:], False) + [ref_mth(d[:k])]

    return sub(m, data, True)


# --- The Certificate Transparency reference vectors (RFC 6962 test data). ---

LEAVES = [bytes.fromhex(x) for x in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
INCLUSION = [  # (leaf index, tree size, path)
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def _leaf_hashes(data: list[bytes]) -> list[bytes]:
    return [merkle.leaf_hash(d) for d in data]


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_match_the_rfc_vectors_and_the_reference(size: int) -> None:
    got = merkle.root(_leaf_hashes(LEAVES[:size]))
    assert got.hex() == ROOTS[size]
    assert ref_mth(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_rfc_vectors(index: int, size: int, path: list[str]) -> None:
    leaves = _leaf_hashes(LEAVES[:size])
    proof = merkle.inclusion_proof(index, leaves)
    assert [p.hex() for p in proof] == path
    assert [p.hex() for p in ref_path(index, LEAVES[:size])] == path
    assert merkle.verify_inclusion(leaves[index], index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_rfc_vectors(old: int, new: int, path: list[str]) -> None:
    leaves = _leaf_hashes(LEAVES[:new])
    proof = merkle.consistency_proof(old, leaves)
    assert [p.hex() for p in proof] == path
    assert [p.hex() for p in ref_proof(old, LEAVES[:new])] == path
    assert merkle.verify_consistency(
        old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=70))
def test_root_equals_reference_on_random_trees(data: list[bytes]) -> None:
    assert merkle.root(_leaf_hashes(data)) == ref_mth(data)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_proofs_equal_reference_on_random_trees(draw: st.DataObject) -> None:
    data = draw.draw(st.lists(st.binary(max_size=4), min_size=1, max_size=70))
    leaves = _leaf_hashes(data)
    index = draw.draw(st.integers(0, len(data) - 1))
    old = draw.draw(st.integers(0, len(data)))
    assert merkle.inclusion_proof(index, leaves) == ref_path(index, data)
    assert merkle.consistency_proof(old, leaves) == (ref_proof(old, data) if old else [])


def _tree(size: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 64, 100, 257, 300])
def test_every_inclusion_proof_verifies_and_wrong_ones_do_not(size: int) -> None:
    leaves = _tree(size)
    top = merkle.root(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(index, leaves)
        assert merkle.verify_inclusion(leaves[index], index, size, proof, top)
        other = (index + 1) % size
        if other != index:
            assert not merkle.verify_inclusion(leaves[other], index, size, proof, top)
            assert not merkle.verify_inclusion(leaves[index], other, size, proof, top)
        if proof:
            bent = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
            assert not merkle.verify_inclusion(leaves[index], index, size, bent, top)
            assert not merkle.verify_inclusion(leaves[index], index, size, proof[:-1], top)


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13, 64, 129, 200])
def test_every_consistency_proof_verifies_and_wrong_ones_do_not(size: int) -> None:
    leaves = _tree(size)
    new_root = merkle.root(leaves)
    for old in range(size + 1):
        old_root = merkle.root(leaves[:old])
        proof = merkle.consistency_proof(old, leaves)
        assert merkle.verify_consistency(old, size, old_root, new_root, proof)
        if 0 < old < size:
            forged = merkle.root([*leaves[: old - 1], merkle.leaf_hash(b"forged")])
            assert not merkle.verify_consistency(old, size, forged, new_root, proof)
            assert not merkle.verify_consistency(old, size, old_root, new_root, proof[:-1])
            assert not merkle.verify_consistency(old, size, old_root, forged, proof)


def test_proof_ranges_need_only_logarithmically_many_stored_subtrees() -> None:
    size = 10_000_019
    for index in (0, 1, size // 2, size - 1):
        nodes = merkle.proof_nodes(merkle.inclusion_ranges(index, size))
        assert len(nodes) <= 2 * size.bit_length()
    nodes = merkle.proof_nodes(merkle.consistency_ranges(3_333_333, size))
    assert len(nodes) <= 3 * size.bit_length()


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_perfect_cover_tiles_the_range_with_aligned_subtrees(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    pos = start
    for level, index in merkle.perfect_cover(start, end):
        assert index << level == pos
        pos += 1 << level
    assert pos == end


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(6, 5)
    assert not merkle.verify_inclusion(b"x" * 32, 3, 3, [], merkle.EMPTY_ROOT)
    assert not merkle.verify_consistency(2, 1, b"", b"", [])
