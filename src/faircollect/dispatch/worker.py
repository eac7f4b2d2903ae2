"""The dispatch worker: claim due messages with a lease, send each once, record the outcome.

Batched: one transaction claims a batch, the channel sends it (a file channel in one
append), one transaction records every outcome. At most once, even when a worker dies
mid-send:
1. the claim (`sending`, lease) commits before anything is sent;
2. the channel gets the idempotency key and refuses to deliver a key twice;
3. the outcomes (`sent` + history rows + audit entries) commit after the batch was sent;
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Row, and_, exists, func, or_, select

from faircollect.dispatch import outbox as box
from faircollect.dispatch.address import read_address
from faircollect.dispatch.channels.base import Channel, SendError, SendResult, SendsBatches
from faircollect.dispatch.message import Delivery
from faircollect.dispatch.outcomes import fail, record_sent, release, requeue, retry_later
from faircollect.dispatch.send_check import check_rows, warm_up
from faircollect.errors import FairCollectError, InputError, KeyUnavailable
from faircollect.policy.pack import Pack
from faircollect.policy.records import DecisionItem, record_decisions
from faircollect.store.tables.dispatch import outbox
from faircollect.store.unit_of_work import Store, UnitOfWork
from faircollect.vault.vault import Vault

log = logging.getLogger("faircollect.dispatch")

ACTOR = "system:dispatch"
MAX_BACKOFF = timedelta(hours=1)
DRAIN_BATCH = 5000
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
    # Re-decide every planned message just before it is sent (off only to measure its cost).
    send_time_check: bool = True

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
    deferred: int = 0
    denied: int = 0
    expired: int = 0
    cancelled: int = 0

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
        self._packs: dict[str, Pack] = {}

    def __repr__(self) -> str:
        return f"Worker(id={self.options.worker_id!r}, channel={self.channel.name!r})"

    def warm_up(self) -> float:
        """Load the packs in force, their lexicons and the approved templates' lint now,
        so the first batch is as quick as the rest; returns the seconds it took.

        `run` and `drain` do it on first use; a caller that wants a start-up cost kept
        apart from the sending (a benchmark, a health check) calls it first.
        """
        t = time.perf_counter()
        if self.options.send_time_check and not self._packs:
            with self.store.read() as conn:
                self._packs.update(warm_up(conn))
        return time.perf_counter() - t

    @property
    def _id(self) -> str:
        return self.options.worker_id

    def _now(self) -> datetime:
        return self.store.clock()

    # -- one batch ------------------------------------------------------------------------
    def run_batch(self, *, due_by: datetime | None = None, at_planned_time: bool = False) -> Stats:
        """Reconcile stale claims, then claim, send and record one batch of due messages.

        `due_by`: claim messages planned up to then (default: now). `at_planned_time`:
        stamp each send with its planned instant (for simulations).
        """
        stats = self._reconcile()
        claimed = self._claim(stats, due_by=due_by, stamp=at_planned_time)
        if claimed:
            self._deliver(claimed, stats)
        return stats

    def _claim(
        self, stats: Stats, *, due_by: datetime | None, stamp: bool
    ) -> list[tuple[Row[Any], Delivery]]:
        now = self._now()
        out: list[tuple[Row[Any], Delivery]] = []
        with self.store.transaction(ACTOR) as uow:
            rows = box.claim_due(
                uow,
                self._id,
                now=now,
                limit=self.options.batch,
                lease=self.options.lease,
                due_by=due_by,
            )
            stats.claimed += len(rows)
            rows = self._check(uow, rows, now, stamp, stats)
            if not rows:
                return out
            ciphers = self.vault.ciphers(uow.conn, [r.borrower_id for r in rows])
            for row in rows:
                try:
                    out.append((row, self._open(uow, row, ciphers, stamp)))
                except FairCollectError as exc:
                    # An erased borrower's key, a contact that is gone: it can never be sent.
                    fail(uow, self._id, row, f"cannot prepare: {exc.message}", now)
                    stats.failed += 1
        return out

    def _check(
        self, uow: UnitOfWork, rows: list[Row[Any]], now: datetime, stamp: bool, stats: Stats
    ) -> list[Row[Any]]:
        """Re-decide each planned message at its moment of sending; keep those to send.

        Denied, expired and cancelled messages leave the outbox here, deferred ones go back
        to `pending` at their next allowed moment, all in the claim's transaction with
        their audit entries; denials are recorded as `policy_decisions` rows
        (source `dispatch`).
        """
        if not self.options.send_time_check:
            return rows
        if not self._packs:  # a batch run without `run` or `drain` first
            self._packs.update(warm_up(uow.conn))
        at_of = {r.message_id: (r.planned_at if stamp else now) for r in rows}
        checked = check_rows(uow.conn, rows, at_of, self._packs)
        keep: list[Row[Any]] = []
        denied: list[DecisionItem] = []
        for row in rows:
            found = checked.get(row.message_id)
            if found is None or found[0].action == "send":
                keep.append(row)
                continue
            v, request, decision = found
            subject = f"message:{row.message_id}"
            payload: dict[str, Any] = {"reason": v.reason, "rules": list(v.rules)}
            if v.action == "defer":
                assert v.until is not None
                box.finish(uow.conn, row.message_id, self._id, now=now, state="pending",
                           planned_at=v.until, attempts=row.attempts - 1, last_error=v.reason)
                uow.audit("dispatch.deferred", subject, {**payload, "until": v.until.isoformat()})
                stats.deferred += 1
                continue
            state = {"deny": "denied", "expire": "expired", "cancel": "cancelled"}[v.action]
            box.finish(uow.conn, row.message_id, self._id, now=now, state=state,
                       last_error=v.reason)
            uow.audit(f"dispatch.{state}", subject, payload)
            setattr(stats, state, getattr(stats, state) + 1)
            if v.action in ("deny", "expire") and not decision.allowed:
                denied.append((request, decision, row.borrower_id, row.message_id))
        record_decisions(uow, denied, source="dispatch", now=now)
        return keep

    def _open(
        self, uow: UnitOfWork, row: Row[Any], ciphers: Mapping[str, AESGCM], stamp: bool
    ) -> Delivery:
        cipher = ciphers.get(row.borrower_id)
        if cipher is None:
            raise KeyUnavailable(
                "the borrower's data key does not exist or was destroyed (erased)",
                message_id=row.message_id,
            )
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
            body=self.vault.open(
                cipher, row.body_ct, box.BODY_TABLE, box.BODY_COLUMN, row.message_id
            ),
            address=address,
            at=row.planned_at if stamp else None,
        )

    def _lease_ending(self, until: datetime) -> bool:
        # Stop short of the lease's end: past it, another worker may reconcile the message.
        return self._now() >= until - self.options.lease / 5

    def _deliver(self, claimed: list[tuple[Row[Any], Delivery]], stats: Stats) -> None:
        """Send the batch, then record every outcome in one transaction.

        If the worker dies before that transaction commits, the messages stay `sending`
        until their lease runs out and reconciliation asks the channel what went out.
        """
        until = claimed[0][0].claimed_until
        outcomes: list[tuple[Row[Any], SendResult | SendError]] = []
        unsent: list[Row[Any]] = []
        try:
            if isinstance(self.channel, SendsBatches):
                if self._lease_ending(until):
                    unsent = [row for row, _ in claimed]
                else:
                    results = self.channel.send_batch([d for _, d in claimed])
                    outcomes = list(zip([row for row, _ in claimed], results, strict=True))
            else:
                for index, (row, delivery) in enumerate(claimed):
                    if self._lease_ending(until):
                        unsent = [r for r, _ in claimed[index:]]
                        break
                    try:
                        outcomes.append((row, self.channel.send(delivery)))
                    except SendError as exc:
                        outcomes.append((row, exc))
        finally:
            # Also after an unexpected error: what is known is recorded, the rest reconciled.
            self._record(outcomes, unsent, stats)

    def _record(
        self,
        outcomes: list[tuple[Row[Any], SendResult | SendError]],
        unsent: list[Row[Any]],
        stats: Stats,
    ) -> None:
        if not outcomes and not unsent:
            return
        now = self._now()
        sent = [(row, r) for row, r in outcomes if isinstance(r, SendResult)]
        with self.store.transaction(ACTOR) as uow:
            stats.sent += record_sent(
                uow, self._id, sent, now=now, action="dispatch.sent", adapter=self.channel.name
            )
            for row, result in outcomes:
                if isinstance(result, SendError):
                    self._after_error(uow, row, result, now, stats)
            stats.released += release(uow, self._id, unsent, now)

    def _after_error(
        self, uow: UnitOfWork, row: Row[Any], exc: SendError, now: datetime, stats: Stats
    ) -> None:
        reason = str(exc)[:500]
        if exc.transient and row.attempts < self.options.max_attempts:
            delay = min(self.options.retry_base * 2 ** (row.attempts - 1), MAX_BACKOFF)
            if retry_later(uow, self._id, row, reason, now, now + delay):
                stats.retried += 1
            return
        state = "dead" if exc.transient else "failed"
        if fail(uow, self._id, row, reason, now, state=state):
            if state == "dead":
                stats.dead += 1
            else:
                stats.failed += 1

    def _reconcile(self) -> Stats:
        """Ask the channel about messages whose worker's lease ran out; never resend blindly."""
        stats = Stats()
        now = self._now()
        with self.store.transaction(ACTOR) as uow:
            rows = box.claim_expired(
                uow, self._id, now=now, limit=self.options.batch, lease=self.options.lease
            )
        if not rows:
            return stats
        answers = [
            (row, self.channel.reconcile(row.message_id, row.idempotency_key)) for row in rows
        ]
        now = self._now()
        with self.store.transaction(ACTOR) as uow:
            sent = [(row, a.result) for row, a in answers if a.status == "sent" and a.result]
            record_sent(
                uow,
                self._id,
                sent,
                now=now,
                action="dispatch.reconciled",
                adapter=self.channel.name,
            )
            for row, answer in answers:
                if answer.status == "not_sent":
                    requeue(uow, self._id, row, now)
                elif answer.status != "sent" or answer.result is None:
                    fail(uow, self._id, row, UNKNOWN_OUTCOME, now, state="dead")
        stats.reconciled += len(rows)
        return stats

    # -- the loop -------------------------------------------------------------------------
    def _due(self) -> Any:
        now = self._now()
        return or_(
            and_(outbox.c.state == "pending", outbox.c.planned_at <= now),
            and_(outbox.c.state == "sending", outbox.c.claimed_until < now),
        )

    def has_work(self) -> bool:
        """Whether a message is due now or a claim has gone stale."""
        with self.store.read() as conn:
            return bool(conn.execute(select(exists().where(self._due()))).scalar())

    def due_count(self) -> int:
        """How many messages are due now or held by a stale claim."""
        with self.store.read() as conn:
            return int(conn.execute(
                select(func.count()).select_from(outbox).where(self._due())).scalar_one())

    def run(
        self,
        *,
        once: bool = False,
        until_empty: bool = False,
        stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Stats:
        """Work batches: one (`once`), until nothing is due (`until_empty`) or until `stop()`.

        `on_progress(done, total)` is told after each batch how many messages were worked
        (claimed or reconciled) and how many that is out of, counting those still due.
        """
        total = Stats()
        self.warm_up()
        if on_progress is not None:
            on_progress(0, self.due_count())
        while not stop():
            batch = self.run_batch()
            total.add(batch)
            if on_progress is not None:
                done = total.claimed + total.reconciled
                on_progress(done, done + self.due_count())
            if once:
                break
            if batch.claimed or batch.reconciled:
                continue
            if until_empty and not self.has_work():
                break
            time.sleep(self.options.poll_interval)
        return total

    def drain(self, up_to: datetime, *, at_planned_time: bool = False) -> Stats:
        """Send every pending message planned up to `up_to`, batch after batch, then return.

        Messages another live worker holds are left to it; transient failures retry while
        their next try is still due by `up_to` and attempts remain.
        """
        total = Stats()
        self.warm_up()
        while True:
            batch = self.run_batch(due_by=up_to, at_planned_time=at_planned_time)
            total.add(batch)
            if not (batch.claimed or batch.reconciled):
                return total


def dispatch_due(
    store: Store,
    vault: Vault,
    channel: Channel,
    *,
    up_to: datetime,
    batch: int = DRAIN_BATCH,
    at_planned_time: bool = False,
) -> Stats:
    """Send every pending message with `planned_at <= up_to` in large batches.

    The fast path for simulations and catch-up runs: same guarantees as the worker (claim
    with a lease, send once per key, one outcome transaction per batch). With
    `at_planned_time` each send is stamped with its planned instant (the file line's
    `sent_at`, the outbox's `sent_at`, the history row's `at`) instead of the clock.
    """
    worker = Worker(store, vault, channel, WorkerOptions(batch=batch, poll_interval=0))
    return worker.drain(up_to, at_planned_time=at_planned_time)
