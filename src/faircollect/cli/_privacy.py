"""Parsing helpers shared by the consent, keys, subject and retention commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from faircollect.cli._output import emit
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


def write_json(doc: Any, out: Path | None, *, as_json: bool = False) -> None:
    """Pretty JSON to standard output, or to a file only its owner can read (0600), saying
    where on standard error. With `as_json` (the --json option) standard output gets the
    document on one line, or, when it went to a file, `{"path": ...}`."""
    data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    if out is None:
        if as_json:
            emit(doc)
        else:
            sys.stdout.write(data.decode("utf-8"))
        return
    sys.stderr.write(wrote(write_private(out, data)) + "\n")
    if as_json:
        emit({"path": str(out)})
