"""Bulk RFC 6962 hashing for verifying the audit log: leaf levels and parent levels.

The Merkle tree hashes a leaf as SHA-256(0x00 || record) and an interior node as
SHA-256(0x01 || left || right). Verifying a log of millions of entries means millions of
such hashes, and through `hashlib` each costs ~0.4 us, almost all of it interpreter and
call overhead: SHA-256 of ~130 bytes itself takes well under 0.1 us. So the per-entry loops
live in a small C extension, `faircollect.audit._native`, which hashes with OpenSSL's
libcrypto (the library `hashlib` uses too) and makes one Python call per batch instead of
one per entry.

The extension is optional. It is compiled at install time when a C compiler and the
OpenSSL headers are present; otherwise this module falls back to the pure-Python versions
below, which have the identical interface and results (only slower). `NATIVE` says which
one is in use. Setting the environment variable ``FAIRCOLLECT_PURE_HASHING=1`` before this
module is first imported forces the pure-Python versions even when the extension is
available, so benchmarks and tests can compare the two. The pure-Python versions are
always importable as `py_leaf_level`, `py_leaf_hashes` and `py_parent_level`, and
tests/unit/audit/test_hashing.py holds both implementations equal to each other and to
plain `hashlib`.

"Bytes-like" throughout means an object exporting a C-contiguous buffer (bytes,
bytearray, a contiguous memoryview, ...), read as its raw bytes.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = [
    "NATIVE",
    "leaf_hashes",
    "leaf_level",
    "parent_level",
    "py_leaf_hashes",
    "py_leaf_level",
    "py_parent_level",
]

HASH_SIZE = 32

_sha256 = hashlib.sha256
# Copying a context that has already absorbed the prefix is measurably cheaper than
# constructing a new one and concatenating the prefix onto every input.
_LEAF_PREFIXED = _sha256(b"\x00")
_NODE_PREFIXED = _sha256(b"\x01")

# Types whose buffer `hashlib` reads exactly as the C module does (raw bytes). Anything
# else (subclasses, arrays, ...) takes the slower, careful per-item path below.
_PLAIN_TYPES = frozenset({bytes, bytearray, memoryview})
# Types whose `==` against a digest compares raw bytes (a memoryview's `==` compares
# items by format, so memoryview leaves are checked on the careful path).
_PLAIN_LEAF_TYPES = frozenset({bytes, bytearray})


def _raw(obj: Any) -> bytes | None:
    """The raw bytes of a bytes-like object, or None when it is not bytes-like."""
    if type(obj) is bytes:
        return obj
    try:
        with memoryview(obj) as view:
            return view.tobytes() if view.c_contiguous else None
    except (TypeError, BufferError, ValueError):  # no buffer / released memoryview
        return None


def _not_bytes_like(index: int, item: object) -> TypeError:
    return TypeError(
        f"leaf_hashes: item {index} is not a bytes-like object (got {type(item).__name__})"
    )


def _fast_leaves(records: Sequence[Buffer]) -> list[bytes] | None:
    """Leaf hashes of plain bytes-like records; None if one is a memoryview hashlib refuses."""
    out: list[bytes] = []
    append, fresh = out.append, _LEAF_PREFIXED.copy
    try:
        for record in records:
            h = fresh()
            h.update(record)
            append(h.digest())
    except (BufferError, ValueError):  # a non-contiguous, n-D or released memoryview
        return None
    return out


def py_leaf_hashes(records: Iterable[Buffer]) -> bytes:
    """Concatenated SHA-256(0x00 || record) of bytes-like records.

    Raises TypeError, naming its index, for an item that is not bytes-like.
    """
    if not isinstance(records, list | tuple):
        records = list(records)
    if _PLAIN_TYPES.issuperset(map(type, records)):
        fast = _fast_leaves(records)
        if fast is not None:
            return b"".join(fast)
    digests = []
    for i, record in enumerate(records):
        raw = _raw(record)
        if raw is None:
            raise _not_bytes_like(i, record) from None
        digests.append(_sha256(b"\x00" + raw).digest())
    return b"".join(digests)


def _leaf_level_careful(rows: Sequence[Any]) -> tuple[bytes, int]:
    """`py_leaf_level` one row at a time, normalising every item; for unusual inputs."""
    digests: list[bytes] = []
    for i, row in enumerate(rows):
        try:
            record, stored = row
        except (TypeError, ValueError):  # not iterable / not exactly two items
            return b"".join(digests), i
        raw_record, raw_stored = _raw(record), _raw(stored)
        if raw_record is None or raw_stored is None:
            return b"".join(digests), i
        digest = _sha256(b"\x00" + raw_record).digest()
        if digest != raw_stored:  # a stored leaf of the wrong length differs too
            return b"".join(digests), i
        digests.append(digest)
    return b"".join(digests), len(digests)


def py_leaf_level(rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    """Hash and check (record, stored_leaf) rows, stopping at the first bad row.

    Returns the concatenated 32-byte leaf hashes of the good rows before the first bad
    one, and that row's index (len(rows) when all are good). A row is bad when it is not
    a 2-item sequence, an item is not bytes-like (None from a NULL column, str, int, ...),
    or SHA-256(0x00 || record) is not exactly stored_leaf. A bad row is data to report,
    never an exception; TypeError is raised only when `rows` is not iterable.
    """
    if not isinstance(rows, list | tuple):
        rows = list(rows)
    if not rows:
        return b"", 0
    try:  # two comprehensions beat zip(*rows), which builds a call with len(rows) args
        records = [record for record, _ in rows]
        leaves = [leaf for _, leaf in rows]
    except (TypeError, ValueError):  # some row is not a 2-item sequence
        return _leaf_level_careful(rows)
    if not (
        _PLAIN_TYPES.issuperset(map(type, records))
        and _PLAIN_LEAF_TYPES.issuperset(map(type, leaves))
    ):
        return _leaf_level_careful(rows)
    digests = _fast_leaves(records)
    if digests is None:
        return _leaf_level_careful(rows)
    if digests == leaves:
        return b"".join(digests), len(digests)
    bad = next(i for i, (d, s) in enumerate(zip(digests, leaves, strict=True)) if d != s)
    return b"".join(digests[:bad]), bad


def py_parent_level(level: Buffer) -> bytes:
    """Concatenated SHA-256(0x01 || left || right) over pairs of 32-byte node hashes.

    `level` holds n concatenated hashes; an odd last node has no parent here and is
    ignored. Raises ValueError when len(level) is not a multiple of 32.
    """
    if type(level) is bytes:
        data = level
    else:
        with memoryview(level) as view:
            if not view.c_contiguous:
                raise BufferError("parent_level: level is not a contiguous buffer")
            data = view.tobytes()
    size = len(data)
    if size % HASH_SIZE:
        raise ValueError(f"parent_level: length {size} is not a multiple of {HASH_SIZE}")
    out: list[bytes] = []
    append, fresh = out.append, _NODE_PREFIXED.copy
    for i in range(0, size - 2 * HASH_SIZE + 1, 2 * HASH_SIZE):
        h = fresh()
        h.update(data[i : i + 2 * HASH_SIZE])
        append(h.digest())
    return b"".join(out)


def _load_native() -> ModuleType | None:
    if os.environ.get("FAIRCOLLECT_PURE_HASHING") == "1":
        return None
    try:
        return importlib.import_module("faircollect.audit._native")
    except ImportError:  # not compiled on this machine (or libcrypto missing)
        return None


_native = _load_native()

#: True when the C extension is in use, False when the pure-Python versions are.
NATIVE: bool = _native is not None

leaf_level: Callable[[Iterable[Sequence[Any]]], tuple[bytes, int]]
leaf_hashes: Callable[[Iterable[Buffer]], bytes]
parent_level: Callable[[Buffer], bytes]

if _native is not None:
    # Bound directly rather than wrapped: a wrapper would add back a call per batch.
    leaf_level = _native.leaf_level
    leaf_hashes = _native.leaf_hashes
    parent_level = _native.parent_level
else:
    leaf_level = py_leaf_level
    leaf_hashes = py_leaf_hashes
    parent_level = py_parent_level
