"""The dispatch worker: claim due messages with a lease, send each once, record the outcome.

At most once, even when a worker dies mid-send:
1. the claim (`sending`, lease) commits before anything is sent;
2. the channel gets the idempotency key and refuses to deliver a key twice;
3. the outcome (`sent` + history row + audit entry) commits after the send;
4. a message left in `sending` after its lease ran out is reconciled with the channel, never
   resent blindly: sent -> recorded as sent; not sent -> back to pending; unknown -> dead.

Several workers may run against PostgreSQL (claims use FOR UPDATE SKIP LOCKED); on SQLite
writers take turns.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, exists, or_, select

from faircollect.dispatch import outbox as box
from faircollect.dispatch.address import read_address
from faircollect.dispatch.channels.base import Channel, SendError, SendResult
from faircollect.dispatch.history import add_attempt
from faircollect.dispatch.message import Delivery
from faircollect.errors import FairCollectError, InputError
from faircollect.store.tables.dispatch import outbox
from faircollect.store.unit_of_work import Store, UnitOfWork
from faircollect.vault.vault import Vault

log = logging.getLogger("faircollect.dispatch")

ACTOR = "system:dispatch"
MAX_BACKOFF = timedelta(hours=1)
UNKNOWN_OUTCOME = "delivery outcome unknown after the sender stopped; not sent again"


def new_worker_id() -> str:
    """An id naming this process: host, pid and a random tag."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How a worker claims and retries."""

    worker_id: str = field(default_factory=new_worker_id)
    batch: int = 50
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 5
    retry_base: timedelta = timedelta(seconds=30)
    poll_interval: float = 1.0

    def __post_init__(self) -> None:
        if self.batch < 1:
            raise InputError("batch: must be at least 1", field="batch")
        if self.lease <= timedelta(0):
            raise InputError("lease: must be positive", field="lease")
        if self.max_attempts < 1:
            raise InputError("max_attempts: must be at least 1", field="max_attempts")


@dataclass(slots=True)
class Stats:
    """What a batch or a run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    reconciled: int = 0
    released: int = 0

    def add(self, other: Stats) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


class Worker:
    """Drains the outbox through one channel."""

    def __init__(
        self,
        store: Store,
        vault: Vault,
        channel: Channel,
        options: WorkerOptions | None = None,
    ) -> None:
        self.store = store
        self.vault = vault
        self.channel = channel
        self.options = options or WorkerOptions()

    def __repr__(self) -> str:
        return f"Worker(id={self.options.worker_id!r}, channel={self.channel.name!r})"

    @property
    def _id(self) -> str:
        return self.options.worker_id

    def _now(self) -> datetime:
        return self.store.clock()

    # -- one batch ------------------------------------------------------------------------
    def run_batch(self) -> Stats:
        """Reconcile stale claims, then claim, send and record one batch of due messages."""
        stats = self._reconcile()
        deliveries = self._claim(stats)
        for index, (delivery, until) in enumerate(deliveries):
            # Stop short of the lease's end: past it, another worker may reconcile the message.
            if self._now() >= until - self.options.lease / 5:
                self._release([d for d, _ in deliveries[index:]], stats)
                break
            self._send(delivery, stats)
        return stats

    def _claim(self, stats: Stats) -> list[tuple[Delivery, datetime]]:
        now = self._now()
        out: list[tuple[Delivery, datetime]] = []
        with self.store.transaction(ACTOR) as uow:
            rows = box.claim_due(
                uow, self._id, now=now, limit=self.options.batch, lease=self.options.lease
            )
            stats.claimed += len(rows)
            for row in rows:
                try:
                    out.append((self._open(uow, row), row.claimed_until))
                except FairCollectError as exc:
                    # An erased borrower's key, a contact that is gone: it can never be sent.
                    self._fail_in(uow, row, f"cannot prepare: {exc.message}", now)
                    stats.failed += 1
        return out

    def _open(self, uow: UnitOfWork, row: Row[Any]) -> Delivery:
        address = read_address(uow, self.vault, row) if self.channel.needs_address else None
        return Delivery(
            message_id=row.message_id,
            idempotency_key=row.idempotency_key,
            borrower_id=row.borrower_id,
            audience=row.audience,
            contact_id=row.contact_id,
            channel=row.channel,
            template_id=row.template_id,
            purpose=row.purpose,
            body=box.open_body(uow.conn, self.vault, row),
            address=address,
        )

    def _send(self, delivery: Delivery, stats: Stats) -> None:
        try:
            result = self.channel.send(delivery)
        except SendError as exc:
            self._after_error(delivery, exc, stats)
            return
        with self.store.transaction(ACTOR) as uow:
            if self._record_sent(uow, delivery.message_id, result, action="dispatch.sent"):
                stats.sent += 1
            else:
                log.warning(
                    "lease on %s was lost before its outcome was recorded", delivery.message_id
                )

    def _record_sent(
        self, uow: UnitOfWork, message_id: str, result: SendResult, *, action: str
    ) -> bool:
        row = uow.conn.execute(select(outbox).where(outbox.c.message_id == message_id)).one()
        done = box.finish(
            uow.conn,
            message_id,
            self._id,
            now=self._now(),
            state="sent",
            sent_at=result.at,
            provider_ref=result.provider_ref,
            last_error=None,
        )
        if not done:
            return False
        add_attempt(
            uow.conn,
            borrower_id=row.borrower_id,
            contact_id=row.contact_id,
            channel=row.channel,
            audience=row.audience,
            at=result.at,
            outcome=result.outcome,
            message_id=message_id,
        )
        uow.audit(
            action,
            f"message:{message_id}",
            {
                "borrower_id": row.borrower_id,
                "channel": row.channel,
                "channel_adapter": self.channel.name,
                "template_id": row.template_id,
                "provider_ref": result.provider_ref,
                "outcome": result.outcome,
            },
        )
        return True

    def _after_error(self, delivery: Delivery, exc: SendError, stats: Stats) -> None:
        now = self._now()
        reason = str(exc)[:500]
        with self.store.transaction(ACTOR) as uow:
            row = uow.conn.execute(
                select(outbox).where(outbox.c.message_id == delivery.message_id)
            ).one()
            if exc.transient and row.attempts < self.options.max_attempts:
                delay = min(self.options.retry_base * 2 ** (row.attempts - 1), MAX_BACKOFF)
                box.finish(
                    uow.conn,
                    row.message_id,
                    self._id,
                    now=now,
                    state="pending",
                    planned_at=now + delay,
                    last_error=reason,
                )
                stats.retried += 1
                return
            state = "dead" if exc.transient else "failed"
            self._fail_in(uow, row, reason, now, state=state)
            if state == "dead":
                stats.dead += 1
            else:
                stats.failed += 1

    def _fail_in(
        self, uow: UnitOfWork, row: Row[Any], reason: str, now: datetime, *, state: str = "failed"
    ) -> None:
        if not box.finish(
            uow.conn, row.message_id, self._id, now=now, state=state, last_error=reason
        ):
            return
        add_attempt(
            uow.conn,
            borrower_id=row.borrower_id,
            contact_id=row.contact_id,
            channel=row.channel,
            audience=row.audience,
            at=now,
            outcome="failed",
            message_id=row.message_id,
        )
        uow.audit(
            f"dispatch.{state}",
            f"message:{row.message_id}",
            {"borrower_id": row.borrower_id, "channel": row.channel, "reason": reason},
        )

    def _release(self, deliveries: list[Delivery], stats: Stats) -> None:
        with self.store.transaction(ACTOR) as uow:
            for delivery in deliveries:
                if box.finish(
                    uow.conn, delivery.message_id, self._id, now=self._now(), state="pending"
                ):
                    stats.released += 1

    def _reconcile(self) -> Stats:
        stats = Stats()
        now = self._now()
        with self.store.transaction(ACTOR) as uow:
            rows = box.claim_expired(
                uow, self._id, now=now, limit=self.options.batch, lease=self.options.lease
            )
        for row in rows:
            answer = self.channel.reconcile(row.message_id, row.idempotency_key)
            with self.store.transaction(ACTOR) as uow:
                if answer.status == "sent" and answer.result is not None:
                    self._record_sent(
                        uow, row.message_id, answer.result, action="dispatch.reconciled"
                    )
                elif answer.status == "not_sent":
                    box.finish(uow.conn, row.message_id, self._id, now=self._now(), state="pending")
                    uow.audit(
                        "dispatch.requeued",
                        f"message:{row.message_id}",
                        {"reason": "the channel has no record of it after the sender stopped"},
                    )
                else:
                    self._fail_in(uow, row, UNKNOWN_OUTCOME, self._now(), state="dead")
            stats.reconciled += 1
        return stats

    # -- the loop -------------------------------------------------------------------------
    def has_work(self) -> bool:
        """Whether a message is due now or a claim has gone stale."""
        now = self._now()
        due = or_(
            and_(outbox.c.state == "pending", outbox.c.planned_at <= now),
            and_(outbox.c.state == "sending", outbox.c.claimed_until < now),
        )
        with self.store.read() as conn:
            return bool(conn.execute(select(exists().where(due))).scalar())

    def run(
        self,
        *,
        once: bool = False,
        until_empty: bool = False,
        stop: Callable[[], bool] = lambda: False,
    ) -> Stats:
        """Work batches: one (`once`), until nothing is due (`until_empty`) or until `stop()`."""
        total = Stats()
        while not stop():
            batch = self.run_batch()
            total.add(batch)
            if once:
                break
            if batch.claimed or batch.reconciled:
                continue
            if until_empty and not self.has_work():
                break
            time.sleep(self.options.poll_interval)
        return total
