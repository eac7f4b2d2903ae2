"""Fixed vectors for the group, the hash to the group and the session separator.

The RFC 9496 vectors check the libsodium build itself; the FairCollect vectors pin the wire
format two lenders must agree on byte for byte (a change here breaks every peer).
"""

from __future__ import annotations

import hashlib

import pytest

from faircollect.errors import InputError
from faircollect.sharing import group


def test_rfc9496_one_way_map_and_generator_multiples() -> None:
    # RFC 9496 appendix A.3 (first input) and A.1 (2 * generator).
    h = hashlib.sha512(b"Ristretto is traditionally a short shot of espresso coffee").digest()
    import rbcl
    assert bytes(rbcl.crypto_core_ristretto255_from_hash(h)).hex() == (
        "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46")
    two = bytes(rbcl.crypto_scalarmult_ristretto255_base((2).to_bytes(32, "little")))
    assert two.hex() == "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"


VECTORS = [
    (b"test-session", b"phone:+8613812345699",
     "54e2e7cd0e4890c413e8119a5b7fd39fe44aa0452676c0f92d9c95c56e0d4051"),
    (b"test-session", b"nid:CN:11010119900307123X",
     "6a97c5ca67fe4cdc83849bf8e7591c97ff5837b3bde198a0681c3cd2ab0f6731"),
]


@pytest.mark.parametrize(("dst", "item", "expected"), VECTORS)
def test_hash_to_group_vectors(dst: bytes, item: bytes, expected: str) -> None:
    assert group.hash_to_group(dst, item).hex() == expected
    # The layout, spelled out: tag, one length byte, separator, item; SHA-512; RFC 9496 map.
    import rbcl
    digest = hashlib.sha512(b"faircollect-psi-v1/h2g" + bytes([len(dst)]) + dst + item).digest()
    assert bytes(rbcl.crypto_core_ristretto255_from_hash(digest)).hex() == expected
    assert group.hash_many(dst, [item, item]) == [bytes.fromhex(expected)] * 2


def test_separator_changes_every_element() -> None:
    item = b"phone:+8613812345699"
    assert group.hash_to_group(b"test-session", item) != group.hash_to_group(b"other", item)
    # The length prefix keeps (separator, item) splits apart.
    assert group.hash_to_group(b"ab", b"c") != group.hash_to_group(b"a", b"bc")


def test_session_separator_and_scalar_vector() -> None:
    dst = group.session_separator(bytes(16), bytes(range(16)))
    assert dst.hex() == "184365f2fdeb5fd0e7e38bb105aa84b0519e539d07a589ebddf5802a7d1f9a40"
    seven = (7).to_bytes(32, "little")
    p = group.hash_to_group(b"test-session", b"phone:+8613812345699")
    assert group.mult(seven, p).hex() == (
        "b66a9b1beedf77d0c106e668306fa9cc2d53e9b751917652494d5c4ad4cbb72e")


def test_exponents_commute_and_bad_points_are_refused() -> None:
    a, b = group.new_scalar(), group.new_scalar()
    p = group.hash_to_group(b"s", b"x")
    assert group.mult(a, group.mult(b, p)) == group.mult(b, group.mult(a, p))
    assert group.mult(group.invert(a), group.mult(a, p)) == p
    assert not group.is_element(b"\xff" * 32)
    with pytest.raises(InputError, match="ristretto255"):
        group.mult(a, b"\xff" * 32)
    with pytest.raises(InputError, match="multiple of 32"):
        group.unpack(b"\x00" * 33)
    with pytest.raises(InputError):
        group.hash_to_group(b"", b"x")


def _u_of_edwards(encoded: bytes) -> int:
    p = 2**255 - 19
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    return (1 + y) * pow(1 - y, -1, p) % p


def test_x25519_suite_vectors_and_map() -> None:
    import ctypes

    from rbcl._sodium import _sodium as lib

    # The Edwards-to-Montgomery map sends the Ed25519 base point to X25519's u = 9.
    base = ctypes.create_string_buffer(32)
    lib.crypto_scalarmult_ed25519_base_noclamp(base, (1).to_bytes(32, "little"))
    assert _u_of_edwards(base.raw) == 9
    dst, item = b"test-session", b"phone:+8613812345699"
    expected = "03ee786b2e62520aabdd14c15f98cd6d1adf8e5b97e790e405d08d18f695ba56"
    # Spelled out, one point at a time (the module inverts a whole batch at once).
    digest = hashlib.sha512(b"faircollect-psi-v1/h2g-x25519" + bytes([len(dst)]) + dst
                            + item).digest()
    out = ctypes.create_string_buffer(32)
    lib.crypto_core_ed25519_from_hash(out, digest)
    assert _u_of_edwards(out.raw).to_bytes(32, "little").hex() == expected
    many = group.hash_many(dst, [b"a", item, b"b"], "x25519")
    assert many[1].hex() == expected and len(set(many)) == 3
    seven = (7).to_bytes(32, "little")
    assert group.mult_many(seven, [bytes.fromhex(expected)], "x25519")[0].hex() == (
        "cf26a9e150becbc1915b4662d9845f683afb7ddb04653a22ef840c1b8de82c2d")


def test_x25519_suite_commutes_and_refuses_small_order() -> None:
    a, b = group.new_scalar(), group.new_scalar()
    p = group.hash_many(b"s", [b"x"], "x25519")
    assert group.mult_many(a, group.mult_many(b, p, "x25519"), "x25519") == \
        group.mult_many(b, group.mult_many(a, p, "x25519"), "x25519")
    assert not group.can_invert("x25519") and group.can_invert("ristretto255")
    with pytest.raises(InputError, match="x25519"):
        group.mult_many(a, [bytes(32)], "x25519")  # u = 0 has order 2
    with pytest.raises(InputError, match="suite"):
        group.hash_many(b"s", [b"x"], "p256")
