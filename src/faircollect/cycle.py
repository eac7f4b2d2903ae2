"""The daily cycle: ledger -> plan -> decide -> outbox, one transaction per batch, audited.

`run_cycle(app, day)` plans every account for `day`, decides each attempt under its pack
(vectorised), records every decision in `planned_attempts` with the pack version, and puts
the allowed messages in the outbox, all in batches of accounts, each batch one transaction
with one audit entry. Re-running a finished date does nothing; re-running a date whose run
stopped part way (a crash) plans only the accounts not yet planned; and every message's
idempotency key is derived from (date, account, step), so work is never doubled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select

from faircollect.bootstrap import App
from faircollect.dispatch.message import CHANNELS as DISPATCH_CHANNELS
from faircollect.dispatch.message import OutboundMessage, message_id_for
from faircollect.dispatch.outbox import enqueue
from faircollect.errors import InputError
from faircollect.ledger.money import minor_units
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.cycle import cycle_runs, planned_attempts
from faircollect.strategy.decisions import decide_plan
from faircollect.strategy.library import PlaybookSet, load_playbooks
from faircollect.strategy.loader import load_inputs, require_portfolio
from faircollect.strategy.messages import render
from faircollect.strategy.planner import plan_day
from faircollect.strategy.simulation import DayOutcome, SimClock, dispatch_day, respond

BATCH = 5_000
ACTOR = "system:cycle"
Say = Callable[[str], None]


@dataclass(frozen=True)
class CycleOptions:
    """How messages are signed off and how many accounts a transaction holds."""

    lender: str = "FairCollect"
    phone: str = "400-000-0000"
    batch: int = BATCH


@dataclass(frozen=True)
class CycleResult:
    """What one date's run did."""

    day: date
    accounts: int
    skipped: int
    attempts: int
    allowed: int
    denied: int
    replanned: int
    enqueued: int
    batches: int
    stopped: dict[str, int] = field(default_factory=dict)
    denied_by_category: dict[str, int] = field(default_factory=dict)


def idempotency_key(day: date, borrower_id: str, step_id: str, contact_id: str | None,
                    replan: bool) -> str:
    """The key of one planned attempt: (date, account, step[, contact][, re-plan])."""
    parts = ["cycle", day.isoformat(), borrower_id, step_id]
    if contact_id:
        parts.append(contact_id)
    if replan:
        parts.append("r")
    return ":".join(parts)


def _amount(minor: int, currency: str) -> str:
    places = minor_units(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f} {currency}"


def _already(app: App, day: date) -> set[str]:
    with app.store.read() as conn:
        rows = conn.execute(select(planned_attempts.c.borrower_id).distinct().where(
            planned_attempts.c.business_date == day))
        return {r[0] for r in rows}


def _finished(app: App, day: date) -> bool:
    with app.store.read() as conn:
        status = conn.execute(select(cycle_runs.c.status).where(
            cycle_runs.c.business_date == day)).scalar()
        return status == "done"


def _mark_run(app: App, day: date, books: PlaybookSet, now: datetime,
              counts: dict[str, Any] | None) -> None:
    with app.store.transaction(ACTOR) as uow:
        row = uow.conn.execute(select(cycle_runs.c.status).where(
            cycle_runs.c.business_date == day)).first()
        values = {"status": "done" if counts is not None else "running",
                  "playbooks": books.version, "counts": json.dumps(counts or {}),
                  "finished_at": now if counts is not None else None}
        if row is None:
            uow.conn.execute(cycle_runs.insert().values(business_date=day, started_at=now,
                                                        **values))
        else:
            uow.conn.execute(cycle_runs.update().where(cycle_runs.c.business_date == day)
                             .values(**values))


def run_cycle(app: App, day: date, *, books: PlaybookSet | None = None,
              options: CycleOptions = CycleOptions(), actor: str = ACTOR,
              now: datetime | None = None) -> CycleResult:
    """Plan, decide and enqueue `day` for the whole portfolio (see the module docstring)."""
    books = books or load_playbooks()  # a broken playbook fails here, before any change
    with app.store.read() as conn:
        require_portfolio(conn, day)
    now = now or app.store.clock()
    skip = _already(app, day)
    if _finished(app, day):
        # A completed date is never planned again: the day's state has moved on since (payments,
        # promises kept), and planning it afresh would contact accounts a second time.
        return CycleResult(day=day, accounts=0, skipped=len(skip), attempts=0, allowed=0,
                           denied=0, replanned=0, enqueued=0, batches=0)
    min_dpd = min(s.dpd_from for b in books.playbooks.values() for s in b.stages)
    with app.store.read() as conn:
        inputs, amounts = load_inputs(conn, day, min_dpd=min_dpd, skip=skip)
    plan = plan_day(inputs, books, day)
    decided = decide_plan(plan.attempts, inputs, books, day).attempts
    decided = decided.join(amounts, on="borrower_id", how="left").sort(
        "borrower_id", "planned_at", "step_id")
    _mark_run(app, day, books, now, None)
    borrowers_ = decided["borrower_id"].unique(maintain_order=True).to_list()
    enqueued = batches = 0
    for start in range(0, len(borrowers_), options.batch):
        chunk = set(borrowers_[start:start + options.batch])
        part = decided.filter(pl.col("borrower_id").is_in(list(chunk)))
        enqueued += _write_batch(app, books, day, part, options, actor, now, batches)
        batches += 1
    denied = decided.filter(~pl.col("allowed"))
    cats = denied.select(pl.col("categories").explode()).to_series().drop_nulls()
    result = CycleResult(
        day=day, accounts=inputs.accounts.height, skipped=len(skip), attempts=decided.height,
        allowed=decided.height - denied.height, denied=denied.height,
        replanned=decided.filter(pl.col("replan_of").is_not_null()).height,
        enqueued=enqueued, batches=batches, stopped=plan.stopped,
        denied_by_category={str(k): int(v) for k, v in cats.value_counts().iter_rows()},
    )
    _mark_run(app, day, books, now, {k: v for k, v in result.__dict__.items()
                                     if isinstance(v, int | dict)})
    return result


def _write_batch(app: App, books: PlaybookSet, day: date, part: pl.DataFrame, options: CycleOptions, actor: str,
                 now: datetime, index: int) -> int:
    rows: list[dict[str, Any]] = []
    messages: list[OutboundMessage] = []
    for r in part.iter_rows(named=True):
        key = idempotency_key(day, r["borrower_id"], r["step_id"], r["contact_id"],
                              r["replan_of"] is not None)
        send = r["allowed"] and r["channel"] in DISPATCH_CHANNELS
        if send:
            messages.append(_message(books, r, key, options))
        rows.append({
            "attempt_id": "a-" + hashlib.sha256(key.encode()).hexdigest()[:32],
            "idempotency_key": key, "business_date": day, "borrower_id": r["borrower_id"],
            "playbook_id": r["playbook_id"], "arm": r["arm"], "stage": r["stage"],
            "step_id": r["step_id"], "kind": r["kind"], "channel": r["channel"],
            "audience": r["audience"], "contact_id": r["contact_id"], "purpose": r["purpose"],
            "template_id": r["template_id"], "planned_at": r["planned_at"], "dpd": r["dpd"],
            "allowed": bool(r["allowed"]), "rules": ";".join(r["rules"] or []),
            "categories": ";".join(r["categories"] or []), "pack_id": r["pack_id"],
            "replan_of": r["replan_of"], "message_id": message_id_for(key) if send else None,
            "created_at": now,
        })
    digest = hashlib.sha256("\n".join(
        f"{x['attempt_id']}|{int(x['allowed'])}|{x['pack_id']}|{x['rules']}" for x in rows
    ).encode()).hexdigest()
    packs: dict[str, int] = {}
    for x in rows:
        packs[x["pack_id"]] = packs.get(x["pack_id"], 0) + 1
    with app.store.transaction(actor) as uow:
        insert_rows(uow.conn, planned_attempts, rows)
        created = sum(enqueue(uow, app.vault, m, now=now).created for m in messages)
        uow.audit("cycle.batch", f"cycle:{day.isoformat()}", {
            "batch": index, "attempts": len(rows), "allowed": sum(x["allowed"] for x in rows),
            "denied": sum(not x["allowed"] for x in rows), "enqueued": created,
            "packs": packs, "digest": digest,
        })
    return created


def _message(books: PlaybookSet, r: dict[str, Any], key: str,
             options: CycleOptions) -> OutboundMessage:
    tpl = books.templates.get(r["template_id"])
    if tpl is None:  # the playbook set was validated; a registry may have changed since
        raise InputError(f"unknown template {r['template_id']!r}", field="template")
    pre_due = r["dpd"] <= 0
    values = {
        "amount": _amount(int(r["next_amount"] if pre_due else r["overdue_minor"]) or 0,
                          r["currency"]),
        "due_date": r["due_date"].isoformat() if r["due_date"] else "",
        "dpd_days": str(max(int(r["dpd"]), 0)), "lender": options.lender,
        "phone": options.phone, "next_step": r["next_step"] or "",
    }
    return OutboundMessage(
        idempotency_key=key, borrower_id=r["borrower_id"], channel=r["channel"],
        template_id=r["template_id"], purpose=r["purpose"], body=render(tpl, values),
        planned_at=r["planned_at"], audience=r["audience"], contact_id=r["contact_id"],
        notice_kind="escalation_notice" if r["kind"] == "notice" else None,
    )


@dataclass(frozen=True)
class DayRun:
    """One date of a range: the cycle's result and, when simulating, what borrowers did."""

    cycle: CycleResult
    sent: int = 0
    outcome: DayOutcome | None = None


def run_range(app: App, start: date, end: date, *, books: PlaybookSet | None = None,
              options: CycleOptions = CycleOptions(), actor: str = ACTOR,
              simulate: bool = False, seed: int = 7,
              say: Say = lambda _: None) -> list[DayRun]:
    """Run every date from `start` to `end` inclusive, in order.

    With `simulate`, each day's messages are dispatched at their planned times (the worker
    runs on a simulated clock) and borrower responses are simulated from `seed`.
    """
    if end < start:
        raise InputError(f"--to {end} is before --from {start}", field="to")
    books = books or load_playbooks()
    with app.store.read() as conn:
        require_portfolio(conn, start)
    out: list[DayRun] = []
    day = start
    while day <= end:
        result = run_cycle(app, day, books=books, options=options, actor=actor)
        if simulate:
            clock = SimClock(datetime.combine(day, datetime.min.time(), tzinfo=UTC))
            sent = dispatch_day(app, day, clock)
            outcome = respond(app, day, seed, clock)
            out.append(DayRun(result, sent, outcome))
            say(f"{day}: {result.allowed} allowed, {result.denied} denied, {sent} sent, "
                f"{outcome.payments} payments, {outcome.promises} promises")
        else:
            out.append(DayRun(result))
            say(f"{day}: {result.allowed} allowed, {result.denied} denied")
        day += timedelta(days=1)
    return out
