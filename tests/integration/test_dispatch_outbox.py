"""The outbox and worker on both databases: idempotent enqueue, send once, retries, reconcile."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dispatch_seed import T0, Clock, audit_actions, enqueue_many, message, seed_borrower
from sqlalchemy import func, select

from faircollect.dispatch.channels.base import (
    PermanentSendError,
    Reconciliation,
    SendResult,
    TransientSendError,
)
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.message import Delivery
from faircollect.dispatch.outbox import counts, enqueue
from faircollect.dispatch.worker import Worker, WorkerOptions
from faircollect.errors import Conflict, InputError, NotFound
from faircollect.store.tables.dispatch import contact_history, outbox


@pytest.fixture
def clocked(app: Any) -> Any:
    app.store.clock = Clock()
    seed_borrower(app)
    return app


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def test_enqueue_is_idempotent_and_seals_the_body(clocked: Any) -> None:
    first = enqueue_many(clocked, 3)
    again = enqueue_many(clocked, 3)
    assert first == again
    with clocked.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 3
        blobs = [r.body_ct for r in conn.execute(select(outbox.c.body_ct))]
    assert all(b"Ada" not in blob for blob in blobs)


def test_reusing_a_key_for_another_message_is_a_conflict(clocked: Any) -> None:
    enqueue_many(clocked, 1)
    with pytest.raises(Conflict), clocked.store.transaction("test") as uow:
        enqueue(uow, clocked.vault, message(0, template_id="t-other"), now=T0)


def test_enqueue_refuses_unknown_borrower_and_bad_values(clocked: Any) -> None:
    with pytest.raises(NotFound), clocked.store.transaction("test") as uow:
        enqueue(uow, clocked.vault, message(0, borrower_id="nobody"), now=T0)
    with pytest.raises(InputError):
        message(0, channel="pigeon")
    with pytest.raises(InputError):
        message(0, audience="designated_contact")  # no contact id
    assert "Ada" not in repr(message(0))


def test_worker_sends_each_message_once_and_records_history(clocked: Any, tmp_path: Path) -> None:
    ids = enqueue_many(clocked, 5)
    channel = FileChannel(tmp_path / "out", clock=clocked.store.clock)
    try:
        worker = Worker(clocked.store, clocked.vault, channel, WorkerOptions(batch=2))
        stats = worker.run(until_empty=True)
        assert stats.sent == 5
        assert worker.run(until_empty=True).sent == 0
    finally:
        channel.close()
    lines = _lines(tmp_path / "out" / "messages.jsonl")
    assert sorted(x["message_id"] for x in lines) == sorted(ids)
    assert set(lines[0]) == {
        "message_id",
        "borrower_id",
        "audience",
        "contact_id",
        "channel",
        "template_id",
        "purpose",
        "sent_at",
        "body",
    }
    assert lines[0]["sent_at"].endswith("+00:00") and "Ada" in lines[0]["body"]
    with clocked.store.read() as conn:
        assert counts(conn) == {"sent": 5}
        outcomes = [r.outcome for r in conn.execute(select(contact_history.c.outcome))]
    assert outcomes == ["delivered"] * 5
    assert audit_actions(clocked, "message:").count("dispatch.sent") == 5


def test_messages_planned_later_wait(clocked: Any, tmp_path: Path) -> None:
    enqueue_many(clocked, 2, planned_at=T0 + timedelta(hours=2))
    channel = FileChannel(tmp_path / "out")
    try:
        worker = Worker(clocked.store, clocked.vault, channel)
        assert worker.run(until_empty=True).sent == 0
        clocked.store.clock.now = T0 + timedelta(hours=3)
        assert worker.run(until_empty=True).sent == 2
    finally:
        channel.close()


class ScriptedChannel:
    """A channel double that fails as told, reads addresses, and records what it was given."""

    name = "scripted"
    needs_address = True

    def __init__(self, failures: list[Exception], reconcile: str = "not_sent") -> None:
        self.failures = failures
        self.sent: list[Delivery] = []
        self.answer = reconcile

    def send(self, delivery: Delivery) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(delivery)
        return SendResult(provider_ref=f"ref-{len(self.sent)}", at=T0)

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        if self.answer == "sent":
            return Reconciliation("sent", SendResult("ref-r", T0))
        return Reconciliation(self.answer)  # type: ignore[arg-type]

    def close(self) -> None:
        pass


def test_address_is_read_from_the_vault_and_the_read_audited(clocked: Any) -> None:
    enqueue_many(clocked, 1)
    channel = ScriptedChannel([])
    Worker(clocked.store, clocked.vault, channel).run(once=True)
    assert channel.sent[0].address == "+447700900001"
    assert "Ada" not in repr(channel.sent[0]) and "+44" not in repr(channel.sent[0])
    assert audit_actions(clocked, "borrowers:b-1") == ["personal_data.read"]


def test_transient_failure_retries_with_backoff_then_dies(clocked: Any) -> None:
    enqueue_many(clocked, 1)
    channel = ScriptedChannel([TransientSendError("HTTP 503")] * 3)
    options = WorkerOptions(max_attempts=3, retry_base=timedelta(seconds=10))
    worker = Worker(clocked.store, clocked.vault, channel, options)
    assert worker.run(once=True).retried == 1
    assert worker.run(once=True).claimed == 0  # backing off
    clocked.store.clock.now += timedelta(seconds=11)
    assert worker.run(once=True).retried == 1
    clocked.store.clock.now += timedelta(seconds=21)
    assert worker.run(once=True).dead == 1
    with clocked.store.read() as conn:
        row = conn.execute(select(outbox)).one()
        assert (row.state, row.attempts, row.last_error) == ("dead", 3, "HTTP 503")
        assert conn.execute(select(contact_history.c.outcome)).scalar_one() == "failed"


def test_permanent_failure_is_final(clocked: Any) -> None:
    enqueue_many(clocked, 1)
    channel = ScriptedChannel([PermanentSendError("gateway refused: HTTP 400")])
    assert Worker(clocked.store, clocked.vault, channel).run(until_empty=True).failed == 1
    with clocked.store.read() as conn:
        assert counts(conn) == {"failed": 1}


@pytest.mark.parametrize(
    ("answer", "state", "resent"),
    [("sent", "sent", 0), ("not_sent", "sent", 1), ("unknown", "dead", 0)],
)
def test_expired_claim_is_reconciled_not_resent_blindly(
    clocked: Any, answer: str, state: str, resent: int
) -> None:
    enqueue_many(clocked, 1)
    options = WorkerOptions(worker_id="dead-worker", lease=timedelta(seconds=30))
    with clocked.store.transaction("test") as uow:  # a worker that claimed, then died
        from faircollect.dispatch.outbox import claim_due

        assert (
            len(
                claim_due(
                    uow, "dead-worker", now=clocked.store.clock(), limit=5, lease=options.lease
                )
            )
            == 1
        )
    channel = ScriptedChannel([], reconcile=answer)
    worker = Worker(clocked.store, clocked.vault, channel, WorkerOptions(worker_id="w2"))
    assert worker.run(until_empty=True).sent == 0  # lease still running: hands off
    clocked.store.clock.now += timedelta(seconds=31)
    stats = worker.run(until_empty=True)
    assert stats.reconciled == 1 and len(channel.sent) == resent
    with clocked.store.read() as conn:
        assert counts(conn) == {state: 1}
