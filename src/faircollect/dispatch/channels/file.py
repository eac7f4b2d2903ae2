"""`file:DIR`: each message becomes one JSON line of DIR/messages.jsonl.

The demo's and the tests' channel. The file is its own journal: a line carries the message
id (derived from the idempotency key) and is written whole in one append, so a message is
either in the file or not. Writers on one machine take an exclusive lock on the file, catch
up on the lines others appended, and append only the ids not there yet, so a retry never
writes a line twice. A batch takes the lock once, appends all its lines in one write and
fsyncs once.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from faircollect.dispatch.channels.base import Reconciliation, SendError, SendResult
from faircollect.dispatch.message import Delivery

FILE_NAME = "messages.jsonl"
# Every line this channel writes starts so: the id can be sliced out without parsing JSON.
_PREFIX = b'{"message_id": "'
_ID_LENGTH = 34  # "m-" + 32 hex digits


def _now() -> datetime:
    return datetime.now(UTC)


class FileChannel:
    """Appends messages to `DIR/messages.jsonl`, at most once per message id."""

    name = "file"
    needs_address = False

    def __init__(self, directory: Path, clock: Callable[[], datetime] = _now) -> None:
        from faircollect.private import FILE_MODE, ensure_private_dir

        ensure_private_dir(directory, "dispatch folder")  # message bodies name people
        self.path = directory / FILE_NAME
        self._clock = clock
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE)
        if os.fstat(self._fd).st_uid == os.getuid():
            os.fchmod(self._fd, FILE_MODE)  # a file made earlier with wider permissions
        # message id -> sent_at of its line (ISO text), or the line's offset and length
        # while it is unparsed: lines are only parsed when their id is asked about.
        self._seen: dict[str, str | tuple[int, int]] = {}
        self._offset = 0

    def __repr__(self) -> str:
        return f"FileChannel(path={str(self.path)!r})"

    def _catch_up(self) -> bytes:
        """Index lines other writers appended since last time; returns the last byte seen."""
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return b"\n" if size == 0 else os.pread(self._fd, 1, size - 1)
        chunk = os.pread(self._fd, size - self._offset, self._offset)
        start, seen, base = 0, self._seen, self._offset
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            end = len(chunk) if end < 0 else end
            head = start + len(_PREFIX)
            whole_id = head + _ID_LENGTH < end and chunk[head + _ID_LENGTH] == ord('"')
            if whole_id and chunk.startswith(_PREFIX, start):
                ident = chunk[head : head + _ID_LENGTH].decode("ascii", "replace")
                seen[ident] = (base + start, end - start)
            elif end > start:
                self._index_parsed(chunk[start:end])
            start = end + 1
        self._offset = size
        return chunk[-1:]

    def _index_parsed(self, raw: bytes) -> None:
        try:
            line = json.loads(raw)
            self._seen[str(line["message_id"])] = str(line["sent_at"])
        except (ValueError, KeyError, TypeError):
            pass  # a torn line from a writer killed mid-write carries no message

    def _sent_at(self, message_id: str) -> str | None:
        """When the line for `message_id` says it went out; None when there is no whole line."""
        known = self._seen.get(message_id)
        if known is None or isinstance(known, str):
            return known
        offset, length = known
        try:
            line = json.loads(os.pread(self._fd, length, offset))
            sent_at = str(line["sent_at"])
        except (ValueError, KeyError, TypeError):
            del self._seen[message_id]  # torn: the message was not written
            return None
        if line.get("message_id") != message_id:
            del self._seen[message_id]
            return None
        self._seen[message_id] = sent_at
        return sent_at

    @staticmethod
    def _result(message_id: str, sent_at: str) -> SendResult:
        return SendResult(provider_ref=f"file:{message_id}", at=datetime.fromisoformat(sent_at))

    def _line(self, delivery: Delivery, sent_at: str) -> bytes:
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
        return json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n"

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def send_batch(self, deliveries: Sequence[Delivery]) -> list[SendResult | SendError]:
        """Append the lines of the messages not in the file yet: one lock, write and fsync."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            last = self._catch_up()
            out: list[SendResult | SendError] = []
            lines: list[bytes] = []
            fresh: dict[str, str] = {}
            for delivery in deliveries:
                message_id = delivery.message_id
                sent_at = fresh.get(message_id) or self._sent_at(message_id)
                if sent_at is None:
                    sent_at = fresh[message_id] = (delivery.at or self._clock()).isoformat()
                    lines.append(self._line(delivery, sent_at))
                out.append(self._result(message_id, sent_at))
            if lines:
                if last != b"\n":
                    lines.insert(0, b"\n")  # end a torn line so the next stays readable
                self._append(b"".join(lines))
                # We hold the lock: what we just wrote is all that is new in the file.
                self._seen.update(fresh)
                self._offset = os.fstat(self._fd).st_size
            return out
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def send(self, delivery: Delivery) -> SendResult:
        """Append the message's line unless a line with its id is already there."""
        result = self.send_batch([delivery])[0]
        if isinstance(result, SendError):
            raise result
        return result

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        """The file says for certain whether the line was written."""
        fcntl.flock(self._fd, fcntl.LOCK_SH)
        try:
            self._catch_up()
            sent_at = self._sent_at(message_id)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if sent_at is not None:
            return Reconciliation("sent", self._result(message_id, sent_at))
        return Reconciliation("not_sent")

    def close(self) -> None:
        """Close the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
