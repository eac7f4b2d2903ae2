"""Parsing helpers shared by the consent, keys, subject and retention commands."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import orjson

from faircollect.errors import InputError


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
    return value


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO date (YYYY-MM-DD)",
                         field=option) from None


def read_text(path: Path, what: str) -> str:
    """A file's text, or standard input for `-`."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise InputError(f"cannot read {what} file {path}", field=what) from None


def write_json(doc: Any, out: Path | None) -> None:
    """Pretty JSON to a file, or to standard output."""
    data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        out.write_bytes(data)
