"""Option values given on the command line: ISO days and instants, with errors naming the option."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from faircollect.errors import InputError
from faircollect.instants import require_in_range


def parse_instant(text: str, option: str) -> datetime:
    """An ISO instant with an offset, or an ISO date (read as 00:00 UTC that day)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO date or time", field=option) from None
    if value.tzinfo is None:
        raise InputError(f"{option}: {text!r} needs an offset (e.g. +08:00 or Z)", field=option)
    return require_in_range(value, option)


def parse_day(text: str, option: str) -> date:
    """An ISO date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO date (YYYY-MM-DD)",
                         field=option) from None
