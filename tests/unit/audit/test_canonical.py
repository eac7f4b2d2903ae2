"""Canonical entry bytes: deterministic, float-free, and equal to the stdlib rendering."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircollect.audit.canonical import canonical_payload, entry_bytes, format_time
from faircollect.audit.entry import AuditEntry
from faircollect.errors import InputError


def _stdlib(value: Any) -> bytes:
    """How the standalone verifier renders canonical JSON."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
tokens = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\'),
                 min_size=1, max_size=30)


@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_payload_bytes_equal_the_stdlib_rendering(payload: dict[str, Any]) -> None:
    assert canonical_payload(payload) == _stdlib(payload)


@given(st.integers(0, 2**40), tokens, tokens, tokens, st.dictionaries(st.text(), json_values))
def test_entry_bytes_equal_the_stdlib_rendering(
    seq: int, actor: str, action: str, subject: str, payload: dict[str, Any]
) -> None:
    at = "2026-03-01T12:00:00.000000Z"
    entry = AuditEntry(actor, action, subject, payload)
    got = entry_bytes(seq, at, actor, action, subject, entry.canonical)
    assert got == _stdlib({"seq": seq, "at": at, "actor": actor, "action": action,
                           "subject": subject, "payload": payload})


def test_key_order_and_spacing_do_not_matter() -> None:
    a = canonical_payload({"b": [1, {"y": 2, "x": 1}], "a": "é"})
    b = canonical_payload({"a": "é", "b": [1, {"x": 1, "y": 2}]})
    assert a == b == '{"a":"é","b":[1,{"x":1,"y":2}]}'.encode()


def test_decimals_dates_and_instants_become_strings() -> None:
    shanghai = timezone(timedelta(hours=8))
    got = canonical_payload({
        "amount": Decimal("12.30"), "on": date(2026, 3, 1),
        "at": datetime(2026, 3, 1, 20, 0, tzinfo=shanghai), "t": (1, 2),
    })
    assert json.loads(got) == {"amount": "12.30", "on": "2026-03-01",
                               "at": "2026-03-01T12:00:00.000000Z", "t": [1, 2]}


@pytest.mark.parametrize("bad", [
    {"x": 1.5}, {"x": [0.0]}, {1: "int key"}, {"x": 2**64}, {"x": Decimal("NaN")},
    {"x": object()}, {"x": "\ud800"}, {"x": datetime(2026, 1, 1)}, {"x": b"bytes"},
])
def test_values_that_are_not_deterministic_json_are_refused(bad: dict[Any, Any]) -> None:
    with pytest.raises(InputError):
        canonical_payload(bad)


@pytest.mark.parametrize(("actor", "action", "subject"), [
    ("", "a", "s"), ("a", 'say "hi"', "s"), ("a", "b", "back\\slash"), ("a", "b", "é"),
    ("a" * 201, "b", "s"), ("a", "b", "line\nbreak"),
])
def test_tokens_outside_the_safe_alphabet_are_refused(
    actor: str, action: str, subject: str
) -> None:
    with pytest.raises(InputError):
        AuditEntry(actor, action, subject, {})


def test_entry_snapshots_its_payload() -> None:
    payload: dict[str, Any] = {"n": 1}
    entry = AuditEntry("cli", "loan.update", "loan:1", payload)
    payload["n"] = 2
    assert json.loads(entry.canonical) == {"n": 1}
    with pytest.raises(AttributeError):
        entry.actor = "other"  # type: ignore[misc]


def test_times_are_utc_with_microseconds_and_naive_ones_are_refused() -> None:
    assert format_time(datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=UTC)) == \
        "2026-03-01T12:00:00.000005Z"
    with pytest.raises(InputError):
        format_time(datetime(2026, 3, 1))
