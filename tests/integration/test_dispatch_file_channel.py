"""The file channel writes one line per message id, even across two channel instances."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from faircollect.dispatch.channels import open_channel
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.message import Delivery, message_id_for

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _delivery(key: str) -> Delivery:
    return Delivery(
        message_id_for(key),
        key,
        "b-1",
        "borrower",
        None,
        "letter",
        "t",
        "reminder",
        body="Dear Ada",
    )


def test_second_send_of_a_key_writes_nothing(tmp_path: Path) -> None:
    one, two = FileChannel(tmp_path, clock=lambda: AT), FileChannel(tmp_path)
    try:
        first = one.send(_delivery("k-1"))
        again = two.send(_delivery("k-1"))  # another process's channel on the same file
        assert again == first
        assert two.reconcile(message_id_for("k-1"), "k-1").status == "sent"
        assert two.reconcile(message_id_for("k-2"), "k-2").status == "not_sent"
    finally:
        one.close()
        two.close()
    lines = (tmp_path / "messages.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["sent_at"] == "2026-03-02T09:00:00+00:00"


def test_a_torn_line_does_not_swallow_the_next(tmp_path: Path) -> None:
    (tmp_path / "messages.jsonl").write_text('{"message_id": "m-torn", "sent')
    channel = open_channel(f"file:{tmp_path}", home=tmp_path)
    try:
        channel.send(_delivery("k-1"))
    finally:
        channel.close()
    lines = (tmp_path / "messages.jsonl").read_text().splitlines()
    assert json.loads(lines[1])["message_id"] == message_id_for("k-1")


def test_a_torn_line_with_its_id_counts_as_not_written(tmp_path: Path) -> None:
    """A writer killed mid-line left the id but not the whole line: not sent, sent once now."""
    first = FileChannel(tmp_path, clock=lambda: AT)
    try:
        first.send_batch([_delivery("k-1")])
    finally:
        first.close()
    torn = json.dumps({"message_id": message_id_for("k-2"), "borrower_id": "b-1"})[:60]
    with (tmp_path / "messages.jsonl").open("a") as f:
        f.write(torn)  # no newline: the next append must end it
    channel = FileChannel(tmp_path, clock=lambda: AT)
    try:
        assert channel.reconcile(message_id_for("k-2"), "k-2").status == "not_sent"
        assert channel.reconcile(message_id_for("k-1"), "k-1").status == "sent"
        results = channel.send_batch([_delivery("k-1"), _delivery("k-2"), _delivery("k-2")])
        assert len(results) == 3 and results[1] == results[2]
    finally:
        channel.close()
    lines = (tmp_path / "messages.jsonl").read_text().splitlines()
    whole = [json.loads(x)["message_id"] for x in lines if x.endswith("}")]
    assert whole == [message_id_for("k-1"), message_id_for("k-2")]
    again = FileChannel(tmp_path)  # a fresh index agrees
    try:
        assert again.reconcile(message_id_for("k-2"), "k-2").status == "sent"
    finally:
        again.close()
