"""`file:DIR`: each message becomes one JSON line of DIR/messages.jsonl.

The demo's and the tests' channel. Writers on one machine take an exclusive lock on the
file, look for the message id (derived from the idempotency key) among the lines already
written and append only when it is not there, so a retry never writes a line twice.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from faircollect.dispatch.channels.base import Reconciliation, SendResult
from faircollect.dispatch.message import Delivery

FILE_NAME = "messages.jsonl"


def _now() -> datetime:
    return datetime.now(UTC)


class FileChannel:
    """Appends messages to `DIR/messages.jsonl`, at most once per message id."""

    name = "file"
    needs_address = False

    def __init__(self, directory: Path, clock: Callable[[], datetime] = _now) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self._clock = clock
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._seen: dict[str, str] = {}  # message id -> sent_at of its line
        self._offset = 0

    def __repr__(self) -> str:
        return f"FileChannel(path={str(self.path)!r})"

    def _catch_up(self) -> bytes:
        """Read lines other writers appended since last time; returns the last byte seen."""
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return b"\n" if size == 0 else os.pread(self._fd, 1, size - 1)
        chunk = os.pread(self._fd, size - self._offset, self._offset)
        for raw in chunk.splitlines():
            try:
                line = json.loads(raw)
                self._seen[str(line["message_id"])] = str(line["sent_at"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn line from a writer killed mid-write carries no message
        self._offset = size
        return chunk[-1:]

    def _result(self, message_id: str) -> SendResult:
        return SendResult(
            provider_ref=f"file:{message_id}",
            at=datetime.fromisoformat(self._seen[message_id]),
        )

    def send(self, delivery: Delivery) -> SendResult:
        """Append the message's line unless a line with its id is already there."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            last = self._catch_up()
            if delivery.message_id in self._seen:
                return self._result(delivery.message_id)
            sent_at = self._clock().isoformat()
            line = {
                "message_id": delivery.message_id,
                "borrower_id": delivery.borrower_id,
                "audience": delivery.audience,
                "contact_id": delivery.contact_id,
                "channel": delivery.channel,
                "template_id": delivery.template_id,
                "purpose": delivery.purpose,
                "sent_at": sent_at,
                "body": delivery.body,
            }
            data = json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n"
            if last != b"\n":
                data = b"\n" + data  # end a torn line so this one stays readable
            # One write call: a line is never interleaved with another writer's.
            os.write(self._fd, data)
            os.fsync(self._fd)
            return SendResult(
                provider_ref=f"file:{delivery.message_id}", at=datetime.fromisoformat(sent_at)
            )
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        """The file says for certain whether the line was written."""
        fcntl.flock(self._fd, fcntl.LOCK_SH)
        try:
            self._catch_up()
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if message_id in self._seen:
            return Reconciliation("sent", self._result(message_id))
        return Reconciliation("not_sent")

    def close(self) -> None:
        """Close the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
