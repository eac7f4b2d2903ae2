"""E-mail through a real SMTP server (aiosmtpd on loopback), once per idempotency key."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from dispatch_seed import enqueue_many, seed_borrower

from faircollect.dispatch.channels import open_channel
from faircollect.dispatch.outbox import counts
from faircollect.dispatch.worker import Worker, WorkerOptions


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd cannot start on port 0: pick a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _worker(app: Any, channel: Any) -> Worker:
    return Worker(app.store, app.vault, channel, WorkerOptions(lease=timedelta(seconds=60)))


def test_email_reaches_a_real_smtp_server_once(
    app: Any, settings: Any, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    seed_borrower(app)
    ids = enqueue_many(app, 3, channel="email", planned_at=app.store.clock())
    channel = open_channel(f"smtp://127.0.0.1:{port}", home=settings.home)
    try:
        assert _worker(app, channel).run(until_empty=True).sent == 3
        # Even if the outbox were to hand a key over again, the journal stops a second send.
        from faircollect.dispatch.message import Delivery

        again = Delivery(
            ids[0],
            "test:b-1:0",
            "b-1",
            "borrower",
            None,
            "email",
            "t",
            "reminder",
            body="x",
            address="ada@example.test",
        )
        channel.send(again)
    finally:
        channel.close()
    assert len(inbox.messages) == 3
    rcpts, raw = inbox.messages[0]
    assert rcpts == ["ada@example.test"]
    mail = message_from_bytes(raw)
    assert mail["Message-ID"] == f"<{ids[0]}@faircollect.invalid>"
    assert "Hello Ada" in mail.get_payload()
    with app.store.read() as conn:
        assert counts(conn) == {"sent": 3}


def test_smtp_refuses_non_email_and_unreachable_server_is_retried(
    app: Any, settings: Any, tmp_path: Path
) -> None:
    seed_borrower(app)
    enqueue_many(app, 1, channel="sms", planned_at=app.store.clock())
    enqueue_many(
        app, 1, "b-1", channel="email", planned_at=app.store.clock(), idempotency_key="mail-1"
    )
    channel = open_channel("smtp://127.0.0.1:9", home=settings.home)  # nothing listens on 9
    try:
        stats = _worker(app, channel).run(once=True)
    finally:
        channel.close()
    assert stats.failed == 1 and stats.retried == 1
    with app.store.read() as conn:
        assert counts(conn) == {"failed": 1, "pending": 1}
