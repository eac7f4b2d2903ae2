"""Simulated days: dispatch each message at its planned time, then simulate the borrowers.

Deterministic: every draw is a keyed hash of (seed, date, borrower, what), so the same seed
gives the same month whatever the batch order. Each borrower has a fixed propensity (from the
same hash) to answer and to pay. Promises, disputes and complaints go through the case
commands; call outcomes, refusals and call-backs are contact-history rows (as
`dispatch.history.record_outcome` writes them) and payments are `payments` rows, both
written in bulk under the day's one `simulation.day` audit entry, so the next day's ledger,
case state and plan see them. Messages go out through dispatch's bulk `dispatch_due`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import select

from faircollect.bootstrap import App
from faircollect.cases.complaints import open_complaint
from faircollect.cases.disputes import open_dispute
from faircollect.cases.promises import promise_to_pay
from faircollect.dispatch.channels import open_channel
from faircollect.dispatch.worker import dispatch_due
from faircollect.ledger.money import minor_units
from faircollect.ledger.snapshot import snapshot
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.cases import promises
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.dispatch import contact_history, outbox
from faircollect.store.tables.foundation import payments
from faircollect.store.unit_of_work import Store
from faircollect.strategy.cache import InputCache

ACTOR = "system:simulation"


def draw(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) fixed by the seed and the parts."""
    text = "\x00".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") / 2**64


@dataclass(frozen=True)
class DayOutcome:
    """What the simulated borrowers did on one day."""

    day: date
    sent: int
    connected: int
    promises: int
    payments: int
    disputes: int
    complaints: int


class SimClock:
    """A clock the simulation moves; the worker and audit read it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def dispatch_day(app: App, day: date, clock: SimClock) -> int:
    """Send the day's messages through the configured channel, each stamped at its planned time.

    The dispatch service's bulk path (`dispatch_due`: claim with a lease, send once per key,
    one outcome transaction per batch) sends everything planned up to noon UTC of the next
    day, which covers every zone's local day.
    """
    horizon = datetime.combine(day + timedelta(days=1), time(12), tzinfo=UTC)
    clock.at = horizon
    store = Store(app.store.engine, clock=clock)
    channel = open_channel(app.settings.channel, home=app.settings.home, clock=clock)
    try:
        return dispatch_due(store, app.vault, channel, up_to=horizon, at_planned_time=True).sent
    finally:
        channel.close()


def _payment(loan_id: str, day: date, amount: int, now: datetime) -> dict[str, Any]:
    pid = "sim-" + hashlib.sha256(f"{loan_id}:{day}:{amount}".encode()).hexdigest()[:24]
    return {
        "payment_id": pid,
        "loan_id": loan_id,
        "paid_on": day,
        "amount_minor": amount,
        "row_digest": hashlib.sha256(pid.encode()).hexdigest(),
        "created_at": now,
    }


def _write_payments(conn: Any, rows: dict[str, dict[str, Any]]) -> list[tuple[str, date, int]]:
    """Insert the payments not already stored (ids are keyed hashes); returns those written."""
    ids = list(rows)
    known: set[str] = set()
    for i in range(0, len(ids), 900):
        known.update(
            r[0]
            for r in conn.execute(
                select(payments.c.payment_id).where(payments.c.payment_id.in_(ids[i : i + 900]))
            )
        )
    new = [r for pid, r in rows.items() if pid not in known]
    insert_rows(conn, payments, new)
    return [(r["loan_id"], r["paid_on"], r["amount_minor"]) for r in new]


def _outcome(m: Any, outcome: str, at: datetime) -> dict[str, Any]:
    """A contact-history row for a later outcome of a sent message (as `record_outcome`)."""
    return {
        "borrower_id": m.borrower_id,
        "contact_id": m.contact_id,
        "channel": m.channel,
        "audience": m.audience,
        "at": at,
        "outcome": outcome,
        "message_id": m.message_id,
        "source": "callback",
    }


def _due_today(
    cache: InputCache, *, conn_snap: pl.DataFrame, day: date
) -> list[tuple[str, str, int]]:
    """(loan, borrower, installment total) for current loans with an installment due `day`."""
    inst = cache.installments
    if inst is None:
        return []
    current = conn_snap.filter(pl.col("overdue_amount") == 0).select("loan_id")
    rows = (
        inst.filter(pl.col("due_on") == day)
        .join(current, on="loan_id")
        .select(
            "loan_id", "borrower_id", (pl.col("principal") + pl.col("interest") + pl.col("fees"))
        )
    )
    return [(str(a), str(b), int(c)) for a, b, c in rows.iter_rows()]


def _snapshot(conn: Any, day: date, cache: InputCache) -> pl.DataFrame:
    inst, pays = cache.ledger(conn)
    owners = inst.select("loan_id", "borrower_id").unique("loan_id")
    return snapshot(inst.drop("borrower_id"), pays, day).join(owners, on="loan_id", how="left")


def respond(
    app: App, day: date, seed: int, clock: SimClock, cache: InputCache | None = None
) -> DayOutcome:
    """Simulate the borrowers' answers to the day's messages and their payments."""
    cache = cache or InputCache()
    end = datetime.combine(day, time(23, 59), tzinfo=UTC)
    clock.at = end
    with app.store.read() as conn:
        sent = conn.execute(
            select(
                outbox.c.message_id,
                outbox.c.borrower_id,
                outbox.c.channel,
                outbox.c.audience,
                outbox.c.contact_id,
                outbox.c.sent_at,
            )
            .join(planned_attempts, planned_attempts.c.message_id == outbox.c.message_id)
            .where(planned_attempts.c.business_date == day, outbox.c.state == "sent")
            .order_by(outbox.c.message_id)
        ).all()
        snap = _snapshot(conn, day, cache)
        due = conn.execute(
            select(promises).where(promises.c.due_on == day, promises.c.cancelled_at.is_(None))
        ).all()
    # Each borrower's worst loan in arrears, and what one payment on it would be: the whole
    # arrears when one installment is late, else one installment's worth (a partial cure).
    worst: dict[str, tuple[str, int, str]] = {}
    for loan_id, borrower, overdue, cur, late in (
        snap.filter(snap["overdue_amount"] > 0)
        .select("loan_id", "borrower_id", "overdue_amount", "currency", "installments_overdue")
        .iter_rows()
    ):
        if borrower not in worst or overdue > worst[borrower][1]:
            worst[borrower] = (loan_id, int(overdue) // max(int(late), 1), cur)
    n = {"connected": 0, "promises": 0, "payments": 0, "disputes": 0, "complaints": 0}
    history: list[dict[str, Any]] = []
    paying: dict[str, dict[str, Any]] = {}

    def pay(loan_id: str, amount: int) -> None:
        row = _payment(loan_id, day, amount, end)
        paying.setdefault(row["payment_id"], row)

    with app.store.transaction(ACTOR) as uow:
        for m in sent:
            b = m.borrower_id
            answers = draw(seed, "answers", b)  # this borrower's propensity to pick up
            if m.audience != "borrower":
                if draw(seed, day, m.message_id, "refuse") < 0.1:
                    history.append(_outcome(m, "refused", m.sent_at))
                elif draw(seed, day, m.message_id, "relay") < 0.5:
                    # The contact passed the message on: the borrower called back.
                    history.append(
                        {
                            "borrower_id": b,
                            "contact_id": None,
                            "channel": "call",
                            "audience": "borrower",
                            "message_id": None,
                            "at": m.sent_at + timedelta(hours=2),
                            "outcome": "connected",
                            "source": "callback",
                        }
                    )
                continue
            reached = m.channel != "call"
            if m.channel == "call":
                reached = draw(seed, day, m.message_id, "pick") < answers
                history.append(_outcome(m, "connected" if reached else "no_answer", m.sent_at))
                n["connected"] += reached
            if not reached or b not in worst:
                continue
            loan_id, overdue, cur = worst[b]
            u = draw(seed, day, m.message_id, "act")
            pays = draw(seed, "pays", b)
            if u < 0.004:
                open_dispute(uow, app.vault, borrower_id=b, reason="wrong_amount", now=end)
                n["disputes"] += 1
            elif u < 0.006:
                open_complaint(
                    uow,
                    borrower_id=b,
                    complainant="borrower",
                    category="contact_frequency",
                    received_at=end,
                    now=end,
                )
                n["complaints"] += 1
            elif u < 0.006 + 0.25 * pays:
                pay(loan_id, overdue)
                n["payments"] += 1
            elif u < 0.006 + 0.45 * pays:
                places = minor_units(cur)
                promise_to_pay(
                    uow,
                    borrower_id=b,
                    loan_id=loan_id,
                    amount=f"{overdue / 10**places:.{places}f}",
                    due_on=day + timedelta(days=3 + int(u * 100) % 5),
                    today=day,
                    now=end,
                )
                n["promises"] += 1
        for p in due:
            if draw(seed, day, p.promise_id, "keep") < 0.7:
                pay(p.loan_id, int(p.amount_minor))
                n["payments"] += 1
        # Most borrowers pay what falls due without being asked: a current loan's installment
        # due today is paid with the borrower's own propensity (between 55 % and 98 %).
        for loan_id, borrower, amount in _due_today(cache, conn_snap=snap, day=day):
            if draw(seed, day, loan_id, "on-time") < 0.55 + 0.43 * draw(seed, "pays", borrower):
                pay(loan_id, amount)
                n["payments"] += 1
        # Outcomes and payments in bulk, under the day's one audit entry (its counts).
        insert_rows(uow.conn, contact_history, history)
        paid = _write_payments(uow.conn, paying)
        uow.audit(
            "simulation.day",
            f"cycle:{day.isoformat()}",
            {"sent": len(sent), "outcomes": len(history), **n},
        )
    cache.note_payments(paid)  # committed: the next day's ledger includes them
    return DayOutcome(day, len(sent), **n)
