"""Bulk dispatch on both databases: enqueue_many, batched outcomes, dispatch_due."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dispatch_seed import T0, Clock, audit_actions, message, seed_borrower
from sqlalchemy import func, select

from faircollect.dispatch.channels.base import (
    PermanentSendError,
    Reconciliation,
    SendResult,
    TransientSendError,
)
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.message import Delivery
from faircollect.dispatch.outbox import (
    claim_due,
    claim_expired,
    counts,
    enqueue_many,
    open_body,
)
from faircollect.dispatch.outcomes import record_sent
from faircollect.dispatch.worker import Worker, WorkerOptions, dispatch_due
from faircollect.errors import Conflict, KeyUnavailable, NotFound
from faircollect.store.tables.dispatch import contact_history, outbox

BORROWERS = ("b-1", "b-2", "b-3")


@pytest.fixture
def three(app: Any) -> Any:
    app.store.clock = Clock()
    for n, bid in enumerate(BORROWERS):
        seed_borrower(app, bid, phone=f"+44770090000{n}")
    return app


def _messages(count: int, **overrides: Any) -> list[Any]:
    return [message(n, BORROWERS[n % 3], **overrides) for n in range(count)]


def _count(app: Any) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def test_enqueue_many_is_idempotent_and_seals_bodies(three: Any) -> None:
    batch = _messages(30)
    with three.store.transaction("test") as uow:
        first = enqueue_many(uow, three.vault, batch, now=T0)
    with three.store.transaction("test") as uow:
        again = enqueue_many(uow, three.vault, batch, now=T0)
    assert [e.created for e in first] == [True] * 30
    assert [e.created for e in again] == [False] * 30
    assert [e.message_id for e in first] == [m.message_id for m in batch]
    assert [e.message_id for e in again] == [e.message_id for e in first]
    assert _count(three) == 30
    with three.store.read() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.message_id)).all()
        assert all(b"Ada" not in r.body_ct for r in rows)
        bodies = {r.message_id: open_body(conn, three.vault, r) for r in rows}
    assert bodies == {m.message_id: m.body for m in batch}


def test_a_key_repeated_in_one_call_is_stored_once(three: Any) -> None:
    twice = [message(0), message(1), message(0)]
    with three.store.transaction("test") as uow:
        result = enqueue_many(uow, three.vault, twice, now=T0)
    assert [e.created for e in result] == [True, True, False]
    assert result[0].message_id == result[2].message_id
    assert _count(three) == 2


@pytest.mark.parametrize("stored_first", [True, False])
def test_a_key_for_another_message_is_a_conflict_and_writes_nothing(
    three: Any, stored_first: bool
) -> None:
    if stored_first:
        with three.store.transaction("test") as uow:
            enqueue_many(uow, three.vault, [message(0)], now=T0)
    before = _count(three)
    clash = [message(5), message(0, template_id="t-other")]
    if not stored_first:
        clash.insert(0, message(0))
    with pytest.raises(Conflict) as caught, three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, clash, now=T0)
    assert "Ada" not in str(caught.value)
    assert _count(three) == before


def test_unknown_or_erased_borrower_writes_nothing(three: Any) -> None:
    with pytest.raises(NotFound), three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, [message(0), message(1, borrower_id="nobody")], now=T0)
    with three.store.transaction("test") as uow:
        three.vault.shred(uow.conn, "b-2", T0)
    with pytest.raises(KeyUnavailable), three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, [message(0), message(1, borrower_id="b-2")], now=T0)
    assert _count(three) == 0


def test_worker_records_a_whole_batch_in_one_go(three: Any, tmp_path: Path) -> None:
    with three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, _messages(7), now=T0)
    channel = FileChannel(tmp_path / "out", clock=three.store.clock)
    try:
        worker = Worker(three.store, three.vault, channel, WorkerOptions(batch=3))
        first = worker.run(once=True)
        assert (first.claimed, first.sent) == (3, 3)  # --batch still means claimed at a time
        assert worker.run(until_empty=True).sent == 4
    finally:
        channel.close()
    assert len(_lines(tmp_path / "out" / "messages.jsonl")) == 7
    with three.store.read() as conn:
        assert counts(conn) == {"sent": 7}
        assert conn.execute(select(func.count()).select_from(contact_history)).scalar_one() == 7
    assert audit_actions(three, "message:").count("dispatch.sent") == 7


def test_file_batch_skips_lines_already_written(three: Any, tmp_path: Path) -> None:
    """A line written before (another process, a dead worker) is reused, never repeated."""
    batch = _messages(4)
    with three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, batch, now=T0)
    early = FileChannel(tmp_path, clock=lambda: T0)
    try:
        early.send(
            Delivery(
                batch[1].message_id,
                batch[1].idempotency_key,
                "b-2",
                "borrower",
                None,
                "sms",
                "t-remind",
                "reminder",
                body="x",
            )
        )
    finally:
        early.close()
    channel = FileChannel(tmp_path, clock=three.store.clock)
    try:
        assert Worker(three.store, three.vault, channel).run(until_empty=True).sent == 4
    finally:
        channel.close()
    lines = _lines(tmp_path / "messages.jsonl")
    assert sorted(x["message_id"] for x in lines) == sorted(m.message_id for m in batch)
    with three.store.read() as conn:
        sent_at = conn.execute(
            select(outbox.c.sent_at).where(outbox.c.message_id == batch[1].message_id)
        ).scalar_one()
    assert sent_at == T0  # the earlier line's time, not a new send


class MixedChannel:
    """Per-message channel: fails some messages as told, optionally breaks at one."""

    name = "mixed"
    needs_address = False

    def __init__(self, errors: dict[int, Exception]) -> None:
        self.errors, self.calls = errors, 0

    def send(self, delivery: Delivery) -> SendResult:
        self.calls += 1
        if self.calls in self.errors:
            raise self.errors[self.calls]
        return SendResult(provider_ref=f"ref-{self.calls}", at=T0)

    def reconcile(self, message_id: str, idempotency_key: str) -> Reconciliation:
        return Reconciliation("not_sent")

    def close(self) -> None:
        pass


def test_mixed_outcomes_of_a_batch(three: Any) -> None:
    with three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, _messages(5), now=T0)
    channel = MixedChannel({2: TransientSendError("HTTP 503"), 4: PermanentSendError("HTTP 400")})
    stats = Worker(three.store, three.vault, channel).run(once=True)
    assert (stats.sent, stats.retried, stats.failed) == (3, 1, 1)
    with three.store.read() as conn:
        assert counts(conn) == {"sent": 3, "pending": 1, "failed": 1}


def test_an_unexpected_error_keeps_what_was_sent(three: Any) -> None:
    with three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, _messages(4), now=T0)
    channel = MixedChannel({3: RuntimeError("disk gone")})
    with pytest.raises(RuntimeError):
        Worker(three.store, three.vault, channel).run(once=True)
    with three.store.read() as conn:
        # Two recorded; the one that broke and the one never tried wait for reconciliation.
        assert counts(conn) == {"sent": 2, "sending": 2}


def test_an_outcome_is_not_recorded_over_a_lost_lease(three: Any) -> None:
    with three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, _messages(2), now=T0)
    now, lease = three.store.clock(), timedelta(seconds=30)
    with three.store.transaction("test") as uow:
        rows = claim_due(uow, "slow", now=now, limit=5, lease=lease)
    with three.store.transaction("test") as uow:  # the lease ran out; another took over
        taken = claim_expired(uow, "other", now=now + lease * 2, limit=1, lease=lease)
    assert len(taken) == 1
    with three.store.transaction("test") as uow:
        done = record_sent(
            uow,
            "slow",
            [(r, SendResult("ref", now)) for r in rows],
            now=now,
            action="dispatch.sent",
            adapter="test",
        )
    assert done == 1
    with three.store.read() as conn:
        assert counts(conn) == {"sent": 1, "sending": 1}


def test_dispatch_due_sends_up_to_a_time_at_the_planned_instants(
    three: Any, tmp_path: Path
) -> None:
    day_one = [message(n, BORROWERS[n % 3], planned_at=T0 + timedelta(hours=n)) for n in range(6)]
    day_two = [message(n, planned_at=T0 + timedelta(days=1)) for n in range(6, 8)]
    with three.store.transaction("test") as uow:
        enqueue_many(uow, three.vault, day_one + day_two, now=T0)
    channel = FileChannel(tmp_path, clock=three.store.clock)
    up_to = T0 + timedelta(hours=12)
    try:
        stats = dispatch_due(
            three.store, three.vault, channel, up_to=up_to, batch=4, at_planned_time=True
        )
        assert (stats.claimed, stats.sent) == (6, 6)
        assert dispatch_due(three.store, three.vault, channel, up_to=up_to).sent == 0
    finally:
        channel.close()
    planned = {m.message_id: m.planned_at for m in day_one}
    lines = _lines(tmp_path / "messages.jsonl")
    assert {x["message_id"]: x["sent_at"] for x in lines} == {
        k: v.isoformat() for k, v in planned.items()
    }
    with three.store.read() as conn:
        sent = dict(
            conn.execute(
                select(outbox.c.message_id, outbox.c.sent_at).where(outbox.c.state == "sent")
            ).all()
        )
        history = dict(
            conn.execute(select(contact_history.c.message_id, contact_history.c.at)).all()
        )
        assert counts(conn) == {"sent": 6, "pending": 2}
    assert sent == planned and history == planned
