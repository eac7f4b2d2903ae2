"""Bulk Merkle hashing: the C extension and the pure-Python fallback, held equal.

Every behavioural test runs against both implementations ("pure" always, "native" when
the extension is built). Without the extension the native tests skip, unless
FAIRCOLLECT_REQUIRE_NATIVE=1 (as in CI), where its absence is a failure.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sqlite3
import threading
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_merkle import LEAVES, ROOTS

from faircollect.audit import hashing, merkle


def _import_native() -> ModuleType | None:
    try:
        return importlib.import_module("faircollect.audit._native")
    except ImportError:
        return None


NATIVE_MODULE = _import_native()
REQUIRE_NATIVE = os.environ.get("FAIRCOLLECT_REQUIRE_NATIVE") == "1"
PURE = SimpleNamespace(
    name="pure",
    leaf_level=hashing.py_leaf_level,
    leaf_hashes=hashing.py_leaf_hashes,
    parent_level=hashing.py_parent_level,
)


def _native_or_skip() -> ModuleType:
    if NATIVE_MODULE is None:
        reason = (
            "faircollect.audit._native is not built (no C compiler or OpenSSL headers at "
            "install time); reinstall with `pip install -e .` to build it"
        )
        if REQUIRE_NATIVE:
            pytest.fail(f"FAIRCOLLECT_REQUIRE_NATIVE=1 but {reason}")
        pytest.skip(reason)
    return NATIVE_MODULE


# Module scope: Hypothesis tests may not take function-scoped fixtures.
@pytest.fixture(scope="module", params=["pure", "native"])
def impl(request: pytest.FixtureRequest) -> Any:
    if request.param == "pure":
        return PURE
    native = _native_or_skip()
    return SimpleNamespace(
        name="native",
        leaf_level=native.leaf_level,
        leaf_hashes=native.leaf_hashes,
        parent_level=native.parent_level,
    )


@pytest.fixture(scope="module")
def native() -> ModuleType:
    return _native_or_skip()


# --- References, straight from RFC 6962 via hashlib. ---


def ref_leaf(record: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + record).digest()


def ref_parent_level(level: bytes) -> bytes:
    return b"".join(
        hashlib.sha256(b"\x01" + level[i : i + 64]).digest()
        for i in range(0, len(level) // 64 * 64, 64)
    )


def root_of(impl: Any, records: list[bytes]) -> bytes:
    """The tree hash by levels: an odd last node is carried up unchanged."""
    level = impl.leaf_hashes(records)
    if not level:
        return hashlib.sha256(b"").digest()
    while len(level) > 32:
        upper = impl.parent_level(level)
        if len(level) // 32 % 2:
            upper += level[-32:]
        level = upper
    return bytes(level)


records_st = st.lists(st.binary(max_size=300), max_size=60)
levels_st = st.integers(0, 300).flatmap(lambda n: st.binary(min_size=32 * n, max_size=32 * n))


# --- Differential tests against hashlib. ---


@given(records=records_st)
def test_leaf_hashes_match_hashlib(impl: Any, records: list[bytes]) -> None:
    assert impl.leaf_hashes(records) == b"".join(ref_leaf(r) for r in records)


@given(level=levels_st)
def test_parent_level_matches_hashlib(impl: Any, level: bytes) -> None:
    assert impl.parent_level(level) == ref_parent_level(level)


@given(records=records_st, as_lists=st.booleans())
def test_leaf_level_all_good(impl: Any, records: list[bytes], as_lists: bool) -> None:
    rows: list[Any] = [(r, ref_leaf(r)) for r in records]
    if as_lists:
        rows = [list(row) for row in rows]
    assert impl.leaf_level(rows) == (b"".join(ref_leaf(r) for r in records), len(rows))


def _flip(leaf: bytes) -> bytes:
    return bytes([leaf[0] ^ 1]) + leaf[1:]


# Each turns a good (record, leaf) row into a bad one.
CORRUPTIONS: dict[str, Callable[[bytes, bytes], Any]] = {
    "wrong leaf": lambda rec, leaf: (rec, _flip(leaf)),
    "other record": lambda rec, leaf: (rec + b"!", leaf),
    "short leaf": lambda rec, leaf: (rec, leaf[:31]),
    "long leaf": lambda rec, leaf: (rec, leaf + b"\x00"),
    "empty leaf": lambda rec, leaf: (rec, b""),
    "None record": lambda rec, leaf: (None, leaf),
    "None leaf": lambda rec, leaf: (rec, None),
    "str record": lambda rec, leaf: (rec.decode("latin-1"), leaf),
    "str leaf": lambda rec, leaf: (rec, leaf.hex()),
    "int record": lambda rec, leaf: (len(rec), leaf),
    "int leaf": lambda rec, leaf: (rec, int.from_bytes(leaf, "big")),
    "3-tuple": lambda rec, leaf: (rec, leaf, b""),
    "1-tuple": lambda rec, leaf: (rec,),
    "empty row": lambda rec, leaf: (),
    "None row": lambda rec, leaf: None,
    "int row": lambda rec, leaf: 7,
    "bytes row": lambda rec, leaf: rec + leaf,
    "swapped": lambda rec, leaf: (leaf, rec),
}


@settings(max_examples=300)
@given(records=st.lists(st.binary(max_size=200), min_size=1, max_size=60), data=st.data())
def test_leaf_level_stops_at_first_bad_row(
    impl: Any, records: list[bytes], data: st.DataObject
) -> None:
    rows: list[Any] = [(r, ref_leaf(r)) for r in records]
    bad = data.draw(st.integers(0, len(rows) - 1), label="bad index")
    how = data.draw(st.sampled_from(sorted(CORRUPTIONS)), label="corruption")
    rows[bad] = CORRUPTIONS[how](*rows[bad])
    # Whatever follows the first bad row must not matter.
    if bad + 1 < len(rows) and data.draw(st.booleans(), label="also corrupt the next row"):
        rows[bad + 1] = (None, None)
    digests, index = impl.leaf_level(rows)
    assert index == bad
    assert digests == b"".join(ref_leaf(r) for r in records[:bad])


@given(level=levels_st)
def test_root_by_levels_matches_merkle_root(impl: Any, level: bytes) -> None:
    records = [level[i : i + 32] for i in range(0, len(level), 32)]
    assert root_of(impl, records) == merkle.root(merkle.leaf_hashes(records))


# --- RFC 6962 / Certificate Transparency test vectors. ---

# The same vectors test_merkle checks the pure core against (size 0 has no levels here).
CT_LEAVES = LEAVES
CT_ROOTS = {size: root for size, root in ROOTS.items() if size}


def test_rfc6962_root_of_the_eight_ct_leaves(impl: Any) -> None:
    level = impl.leaf_hashes(CT_LEAVES)
    while len(level) > 32:
        level = impl.parent_level(level)
    assert level.hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.mark.parametrize("size", sorted(CT_ROOTS))
def test_rfc6962_roots_of_every_prefix(impl: Any, size: int) -> None:
    assert root_of(impl, CT_LEAVES[:size]).hex() == CT_ROOTS[size]


# --- Inputs and errors. ---


def test_empty_inputs(impl: Any) -> None:
    assert impl.leaf_hashes([]) == b""
    assert impl.leaf_level([]) == (b"", 0)
    assert impl.parent_level(b"") == b""
    assert impl.parent_level(b"\x07" * 32) == b""  # a lone node has no parent


def test_bytes_like_inputs_are_read_as_raw_bytes(impl: Any) -> None:
    records = [b"alpha", b"", b"\x00\x01\x02\x03" * 10]
    expected = [ref_leaf(r) for r in records]
    joined = b"".join(expected)
    for wrap in (bytes, bytearray, memoryview):
        assert impl.leaf_hashes([wrap(r) for r in records]) == joined
        rows = [(wrap(r), wrap(leaf)) for r, leaf in zip(records, expected, strict=True)]
        assert impl.leaf_level(rows) == (joined, 3)
        assert impl.parent_level(wrap(joined[:64])) == ref_parent_level(joined[:64])
    # A memoryview with another item format is still its raw bytes.
    rows = [(memoryview(records[2]).cast("I"), memoryview(expected[2]).cast("Q"))]
    assert impl.leaf_level(rows) == (expected[2], 1)
    assert impl.leaf_hashes([memoryview(records[2]).cast("H")]) == expected[2]


def test_leaf_level_accepts_any_iterable_of_pairs(impl: Any) -> None:
    records = [b"a", b"b"]
    rows = ((r, ref_leaf(r)) for r in records)
    assert impl.leaf_level(rows) == (b"".join(map(ref_leaf, records)), 2)


def test_leaf_level_rejects_only_a_non_iterable_argument(impl: Any) -> None:
    with pytest.raises(TypeError):
        impl.leaf_level(42)
    assert impl.leaf_level([42, None]) == (b"", 0)


def test_leaf_level_on_sqlite_rows_with_a_null(impl: Any) -> None:
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, record BLOB, leaf BLOB)")
        records = [f"entry {i}".encode() for i in range(10)]
        db.executemany(
            "INSERT INTO log VALUES (?, ?, ?)",
            [(i, r, ref_leaf(r)) for i, r in enumerate(records)],
        )
        db.execute("UPDATE log SET leaf = NULL WHERE seq = 6")
        rows = db.execute("SELECT record, leaf FROM log ORDER BY seq").fetchmany(100)
    finally:
        db.close()
    assert impl.leaf_level(rows) == (b"".join(map(ref_leaf, records[:6])), 6)


@pytest.mark.parametrize("size", [1, 31, 33, 63, 65, 100])
def test_parent_level_rejects_a_ragged_level(impl: Any, size: int) -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        impl.parent_level(b"\x00" * size)


def test_parent_level_rejects_a_non_buffer(impl: Any) -> None:
    with pytest.raises(TypeError):
        impl.parent_level("not bytes")


@pytest.mark.parametrize("bad", [None, "text", 3, 1.5, [b"x"]])
def test_leaf_hashes_names_the_index_of_a_non_bytes_item(impl: Any, bad: Any) -> None:
    with pytest.raises(TypeError, match=r"item 2\b"):
        impl.leaf_hashes([b"a", b"b", bad, b"d"])


def test_parent_level_from_many_threads(impl: Any) -> None:
    # Long enough that the native version hashes without the GIL.
    levels = [os.urandom(32 * 3001) for _ in range(4)]
    results: dict[int, bytes] = {}

    def work(i: int) -> None:
        for _ in range(5):
            results[i] = impl.parent_level(levels[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(levels))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(levels))] == [ref_parent_level(lv) for lv in levels]


# --- Native and pure agree on messy input, bit for bit. ---

_items = st.one_of(
    st.binary(max_size=40),
    st.binary(max_size=40).map(bytearray),
    st.binary(max_size=40).map(memoryview),
    st.none(),
    st.text(max_size=5),
    st.integers(),
)
_rows = st.one_of(
    st.tuples(_items, _items),
    st.lists(_items, max_size=3),
    st.tuples(_items),
    st.none(),
    st.binary(max_size=3),
)


@settings(max_examples=300)
@given(rows=st.lists(_rows, max_size=20), data=st.data())
def test_native_and_pure_leaf_level_agree(
    native: ModuleType, rows: list[Any], data: st.DataObject
) -> None:
    # Mostly good rows, so that the first bad row is not always the first row.
    good = data.draw(st.lists(st.binary(max_size=40), max_size=10), label="good prefix")
    rows = [(r, ref_leaf(r)) for r in good] + rows
    assert native.leaf_level(rows) == hashing.py_leaf_level(rows)


@given(records=st.lists(_items, max_size=10))
def test_native_and_pure_leaf_hashes_agree(native: ModuleType, records: list[Any]) -> None:
    def outcome(fn: Callable[[Any], bytes]) -> Any:
        try:
            return fn(records)
        except TypeError as exc:
            return str(exc)

    assert outcome(native.leaf_hashes) == outcome(hashing.py_leaf_hashes)


# --- The facade. ---


def test_facade_uses_the_native_module_unless_told_not_to() -> None:
    if os.environ.get("FAIRCOLLECT_PURE_HASHING") == "1":
        assert not hashing.NATIVE
        assert hashing.leaf_level is hashing.py_leaf_level
        return
    native_built = NATIVE_MODULE is not None
    assert native_built == hashing.NATIVE
    if REQUIRE_NATIVE:
        assert hashing.NATIVE, "FAIRCOLLECT_REQUIRE_NATIVE=1 but the facade is pure Python"
    if NATIVE_MODULE is not None:
        assert hashing.leaf_level is NATIVE_MODULE.leaf_level
        assert hashing.leaf_hashes is NATIVE_MODULE.leaf_hashes
        assert hashing.parent_level is NATIVE_MODULE.parent_level


def test_facade_results() -> None:
    records = [b"x" * n for n in range(9)]
    level = hashing.leaf_hashes(records)
    assert level == b"".join(ref_leaf(r) for r in records)
    assert hashing.leaf_level([(r, ref_leaf(r)) for r in records]) == (level, 9)
    assert hashing.parent_level(level) == ref_parent_level(level)
