"""Instants with an offset, turned into UTC without ever overflowing.

An instant near year 1 or 9999 with an offset (``0001-01-01T00:00:00+05:00``,
``9999-12-31T23:59:59-05:00``) has no UTC equivalent inside the range ``datetime`` can hold.
Every face parses instants through `to_utc` so such a value is an input error naming the
field, never an OverflowError deep inside a comparison or a database write.
"""

from __future__ import annotations

from datetime import UTC, datetime

from faircollect.errors import InputError


def to_utc(value: datetime) -> datetime:
    """`value` in UTC; ValueError when it has no offset or falls outside years 1..9999 in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is out of range: in UTC it falls outside years 1..9999"
        ) from None


def require_in_range(value: datetime, name: str) -> datetime:
    """`value` unchanged when it has a UTC equivalent; an InputError naming `name` otherwise."""
    try:
        to_utc(value)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}", field=name) from None
    return value
