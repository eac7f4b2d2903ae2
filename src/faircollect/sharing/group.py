"""The prime-order groups the protocol works in: ristretto255 (RFC 9496) through libsodium,
or the prime-order subgroup of Curve25519 with X25519 (suite `x25519`, faster).

libsodium is reached through `rbcl`, which ships its own build of libsodium and, unlike
PyNaCl (1.6 has no ristretto255 bindings), exposes `crypto_core_ristretto255_from_hash` and
`crypto_scalarmult_ristretto255`. Ristretto255 gives a group of prime order with canonical
32-byte encodings: no cofactor to clear, no point that encodes two ways, so equal elements
compare equal as bytes.

Hashing to the group: SHA-512 over a tag, the length-prefixed session domain separator and the
identifier, mapped with the RFC 9496 one-way map (`from_hash`, two Elligator maps and a sum),
so nobody knows the discrete logarithm of a hashed identifier. A fresh separator per session
means elements of one session are useless in another.

Suite `x25519`: the same curve's prime-order subgroup as Montgomery u-coordinates. Hashing
uses libsodium's `crypto_core_ed25519_from_hash` (two Elligator 2 maps, a sum, the cofactor
cleared) over SHA-512 of a tag of its own, mapped to u = (1 + y) / (1 - y); multiplications
are X25519 (OpenSSL through `cryptography`), whose clamped scalars are multiples of 8, so a
twist or small-order input gains nothing and an all-zero result is refused. X25519 clamps
every scalar it is given, so an exponent cannot be inverted: the querier always raises the
server's set (`can_invert`).

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
X25519_H2G_TAG = b"faircollect-psi-v1/h2g-x25519"
SUITES = ("ristretto255", "x25519")
DEFAULT_SUITE = "ristretto255"
_P = 2**255 - 19
_Y_MASK = (1 << 255) - 1
_valid = rbcl.crypto_core_ristretto255_is_valid_point


def _forget_rbcl_copy() -> None:
    """rbcl writes its libsodium to a new temporary file on every import and never removes
    it (2.7 MB each, one per process). Once loaded, the file is not needed: unlink it."""
    import contextlib
    import importlib

    # ImportError / AttributeError: another rbcl; OSError: already gone.
    with contextlib.suppress(ImportError, AttributeError, OSError):
        os.unlink(importlib.import_module("rbcl._sodium").lib_path)


_forget_rbcl_copy()


def _ed25519_from_hash() -> Callable[[bytes], bytes]:
    from rbcl._sodium import _sodium as lib

    call = lib.crypto_core_ed25519_from_hash
    out = ctypes.create_string_buffer(POINT_BYTES)

    def from_hash(h: bytes) -> bytes:
        call(out, h)
        return out.raw

    return from_hash


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


def check_suite(suite: str) -> str:
    if suite not in SUITES:
        raise InputError(f"unknown suite {suite!r} ({', '.join(SUITES)})", field="suite")
    return suite


def can_invert(suite: str) -> bool:
    """Whether an exponent of `suite` can be undone (not with X25519's clamping)."""
    return check_suite(suite) == "ristretto255"


def _prefix(dst: bytes, tag: bytes = H2G_TAG) -> bytes:
    if not 1 <= len(dst) <= 255:
        raise InputError("a domain separator has 1 to 255 bytes", field="dst")
    return tag + bytes([len(dst)]) + dst


def _x25519_hash_many(dst: bytes, items: Sequence[bytes]) -> list[bytes]:
    prefix = hashlib.sha512(_prefix(dst, X25519_H2G_TAG))
    from_hash = _ed25519_from_hash()
    ys = []
    for item in items:
        h = prefix.copy()
        h.update(item)
        ys.append(int.from_bytes(from_hash(h.digest()), "little") & _Y_MASK)
    # u = (1 + y) / (1 - y) for every point, with one modular inversion for the whole batch
    # (Montgomery's trick): prefix products, one inverse, then back down.
    dens = [(1 - y) % _P for y in ys]
    prefixes = []
    acc = 1
    for d in dens:
        prefixes.append(acc)
        acc = acc * d % _P
    inv = pow(acc, -1, _P) if dens else 1
    out: list[bytes] = [b""] * len(ys)
    for i in range(len(ys) - 1, -1, -1):
        inv_d = inv * prefixes[i] % _P
        inv = inv * dens[i] % _P
        out[i] = ((1 + ys[i]) * inv_d % _P).to_bytes(POINT_BYTES, "little")
    return out


def _x25519_mult_many(scalar: bytes, points: Sequence[bytes]) -> list[bytes]:
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )

    key = X25519PrivateKey.from_private_bytes(scalar)
    load = X25519PublicKey.from_public_bytes
    out = []
    for p in points:
        try:
            out.append(key.exchange(load(p)))
        except ValueError:  # a small-order input: the shared value would be all zeros
            raise InputError("not a valid x25519 element", field="point") from None
    return out


def hash_to_group(dst: bytes, item: bytes) -> bytes:
    """The group element of `item` under session separator `dst` (32 bytes)."""
    return _from_hash(hashlib.sha512(_prefix(dst) + item).digest())


def hash_many(dst: bytes, items: Sequence[bytes], suite: str = DEFAULT_SUITE) -> list[bytes]:
    """[hash_to_group(dst, i) for i in items] in `suite`."""
    if check_suite(suite) == "x25519":
        return _x25519_hash_many(dst, items)
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


def mult_many(scalar: bytes, points: Sequence[bytes], suite: str = DEFAULT_SUITE
              ) -> list[bytes]:
    """[p ** scalar for p in points]; InputError on the first that is not a group element."""
    _check_scalar(scalar)
    if any(len(p) != POINT_BYTES for p in points):
        raise InputError(f"an element has {POINT_BYTES} bytes", field="point")
    if check_suite(suite) == "x25519":
        return _x25519_mult_many(scalar, points)
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
