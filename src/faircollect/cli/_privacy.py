"""Parsing helpers shared by the consent, keys, subject and retention commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from faircollect.errors import InputError
from faircollect.private import write_private, wrote


def read_text(path: Path, what: str) -> str:
    """A file's text, or standard input for `-`."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise InputError(f"cannot read {what} file {path}", field=what) from None


def write_json(doc: Any, out: Path | None) -> None:
    """Pretty JSON to standard output, or to a file only its owner can read (0600), saying
    where on standard error."""
    data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        sys.stderr.write(wrote(write_private(out, data)) + "\n")
