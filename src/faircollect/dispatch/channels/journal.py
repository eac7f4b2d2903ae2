"""A channel's own record of the keys it has handed on: `intent` before, `sent` after.

SMTP cannot be asked afterwards whether a message went out, so the SMTP channel writes an
intent line before talking to the server and a sent line once the server accepted. A key
with an intent and no sent line may or may not have gone out: it is never sent again.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Literal

Phase = Literal["intent", "sent", "rejected"]


class SentKeys:
    """An append-only JSON-lines journal of idempotency keys, shared by processes via flock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._state: dict[str, tuple[str, str | None]] = {}
        self._offset = 0

    def __repr__(self) -> str:
        return f"SentKeys(path={str(self.path)!r})"

    def _catch_up(self) -> None:
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return
        for raw in os.pread(self._fd, size - self._offset, self._offset).splitlines():
            try:
                line = json.loads(raw)
                self._state[str(line["key"])] = (str(line["phase"]), line.get("ref"))
            except (ValueError, KeyError, TypeError):
                continue  # torn line of a killed writer
        self._offset = size

    def status(self, key: str) -> tuple[str, str | None] | None:
        """The last phase recorded for `key` and its provider reference, or None."""
        fcntl.flock(self._fd, fcntl.LOCK_SH)
        try:
            self._catch_up()
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        return self._state.get(key)

    def begin(self, key: str) -> bool:
        """Record the intent to send `key`; False if the key has any record already."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._catch_up()
            current = self._state.get(key)
            if current is not None and current[0] != "rejected":
                return False
            self._append(key, "intent", None)
            return True
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def record(self, key: str, phase: Phase, ref: str | None = None) -> None:
        """Record that `key` was sent (with its reference) or rejected by the server."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._append(key, phase, ref)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _append(self, key: str, phase: str, ref: str | None) -> None:
        os.write(self._fd, json.dumps({"key": key, "phase": phase, "ref": ref}).encode() + b"\n")
        os.fsync(self._fd)
        self._state[key] = (phase, ref)

    def close(self) -> None:
        """Close the journal file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
