"""The prime-order group the protocol works in: ristretto255 (RFC 9496) through libsodium.

libsodium is reached through `rbcl`, which ships its own build of libsodium and, unlike
PyNaCl (1.6 has no ristretto255 bindings), exposes `crypto_core_ristretto255_from_hash` and
`crypto_scalarmult_ristretto255`. Ristretto255 gives a group of prime order with canonical
32-byte encodings: no cofactor to clear, no point that encodes two ways, so equal elements
compare equal as bytes.

Hashing to the group: SHA-512 over a tag, the length-prefixed session domain separator and the
identifier, mapped with the RFC 9496 one-way map (`from_hash`, two Elligator maps and a sum),
so nobody knows the discrete logarithm of a hashed identifier. A fresh separator per session
means elements of one session are useless in another.

Pure: no I/O, no clock. Randomness only where a scalar is drawn (`new_scalar`).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from collections.abc import Callable, Sequence

import rbcl

from faircollect.errors import InputError

POINT_BYTES = 32
SCALAR_BYTES = 32
H2G_TAG = b"faircollect-psi-v1/h2g"
_valid = rbcl.crypto_core_ristretto255_is_valid_point


def _bulk_calls() -> tuple[Callable[[bytes], bytes], Callable[[bytes, bytes], bytes | None]]:
    """from_hash and scalarmult, called straight on the libsodium that rbcl loaded.

    rbcl's public wrappers check their arguments on every call, which costs about a fifth of
    a scalar multiplication; the bulk loops here check lengths once, so they call libsodium
    through ctypes. Falls back to the wrappers should a later rbcl hide its library handle.
    """
    try:
        from rbcl._sodium import _sodium as lib
        lib_from_hash = lib.crypto_core_ristretto255_from_hash
        lib_mult = lib.crypto_scalarmult_ristretto255
    except (ImportError, AttributeError):  # pragma: no cover - depends on rbcl's internals
        def wrapped_mult(scalar: bytes, point: bytes) -> bytes | None:
            try:
                return bytes(rbcl.crypto_scalarmult_ristretto255(scalar, point))
            except Exception:
                return None

        return (lambda h: bytes(rbcl.crypto_core_ristretto255_from_hash(h))), wrapped_mult
    out = ctypes.create_string_buffer(POINT_BYTES)

    def from_hash(h: bytes) -> bytes:
        lib_from_hash(out, h)
        return out.raw

    def mult(scalar: bytes, point: bytes) -> bytes | None:
        # libsodium returns -1 for a non-canonical encoding or an identity result.
        return None if lib_mult(out, scalar, point) else out.raw

    return from_hash, mult


_from_hash, _mult_or_none = _bulk_calls()


def new_scalar() -> bytes:
    """A uniformly random non-zero scalar (a party's secret exponent for one session)."""
    return bytes(rbcl.crypto_core_ristretto255_scalar_random())


def invert(scalar: bytes) -> bytes:
    return bytes(rbcl.crypto_core_ristretto255_scalar_invert(scalar))


def _prefix(dst: bytes) -> bytes:
    if not 1 <= len(dst) <= 255:
        raise InputError("a domain separator has 1 to 255 bytes", field="dst")
    return H2G_TAG + bytes([len(dst)]) + dst


def hash_to_group(dst: bytes, item: bytes) -> bytes:
    """The group element of `item` under session separator `dst` (32 bytes)."""
    return _from_hash(hashlib.sha512(_prefix(dst) + item).digest())


def hash_many(dst: bytes, items: Sequence[bytes]) -> list[bytes]:
    prefix = hashlib.sha512(_prefix(dst))
    out = []
    for item in items:
        h = prefix.copy()
        h.update(item)
        out.append(_from_hash(h.digest()))
    return out


def _check_scalar(scalar: bytes) -> None:
    if len(scalar) != SCALAR_BYTES:
        raise InputError(f"a scalar has {SCALAR_BYTES} bytes", field="scalar")


def mult(scalar: bytes, point: bytes) -> bytes:
    """`point` raised to `scalar`; InputError for an encoding that is not a group element."""
    return mult_many(scalar, [point])[0]


def mult_many(scalar: bytes, points: Sequence[bytes]) -> list[bytes]:
    """[p ** scalar for p in points]; InputError on the first that is not a group element."""
    _check_scalar(scalar)
    out = []
    for p in points:
        r = _mult_or_none(scalar, p) if len(p) == POINT_BYTES else None
        if r is None:
            raise InputError("not a valid ristretto255 element", field="point")
        out.append(r)
    return out


def is_element(point: bytes) -> bool:
    return len(point) == POINT_BYTES and bool(_valid(point))


def pack(points: Sequence[bytes]) -> bytes:
    """Points as one byte string, 32 bytes each: the wire form of a chunk."""
    return b"".join(points)


def unpack(blob: bytes) -> list[bytes]:
    """The points of a packed chunk; InputError when its length is not a multiple of 32."""
    if len(blob) % POINT_BYTES:
        raise InputError(f"a chunk of points has a multiple of {POINT_BYTES} bytes",
                         field="chunk")
    return [blob[i:i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]


def session_separator(server_nonce: bytes, querier_nonce: bytes) -> bytes:
    """The domain separator of one session: both parties' nonces, so neither alone picks it."""
    return hashlib.sha256(b"faircollect-psi-v1/session" + server_nonce + querier_nonce).digest()


def random_nonce() -> bytes:
    return os.urandom(16)
