"""The daily cycle: ledger -> plan -> decide -> outbox, one transaction per batch, audited.

`run_cycle(app, day)` plans every account for `day`, decides each attempt under its pack
(vectorised), records every decision in `planned_attempts` with the pack version, and puts
the allowed messages in the outbox, all in batches of accounts, each batch one transaction
with one audit entry. Re-running a finished date does nothing; re-running a date whose run
stopped part way (a crash) plans only the accounts not yet planned; and every message's
idempotency key is derived from (date, account, step), so work is never doubled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from faircollect.bootstrap import App
from faircollect.errors import InputError
from faircollect.risk.portfolio import with_risk_segments
from faircollect.store.tables.cycle import cycle_runs, planned_attempts
from faircollect.strategy.cache import InputCache
from faircollect.strategy.decisions import decide_plan
from faircollect.strategy.library import PlaybookSet
from faircollect.strategy.loader import load_inputs, require_portfolio
from faircollect.strategy.planner import plan_day
from faircollect.strategy.registry_source import RegistrySource
from faircollect.strategy.simulation import DayOutcome, SimClock, dispatch_day, respond
from faircollect.strategy.writing import Signature, idempotency_key, write_batch
from faircollect.web.services.contact_links import CycleLinks, cycle_links

__all__ = ["CycleOptions", "CycleResult", "DayRun", "cycle_playbooks", "idempotency_key",
           "run_cycle", "run_range"]

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


def cycle_playbooks(app: App, directory: Path | None = None) -> PlaybookSet:
    """The playbooks (shipped, or `directory`'s) validated against the template registry.

    HOUSE-TEMPLATES: a step whose template the registry does not hold, or holds without an
    approved version, refuses the whole set (ConfigError) before anything is written.
    Playbook versions and pack overrides stored through strategy review run only once
    approved (governance.strategy_service.reviewed_set).
    """
    from faircollect.governance.strategy_service import reviewed_set

    # Only reviewed strategy runs: approved stored playbooks and pack overrides (#19).
    return reviewed_set(app.store, RegistrySource.load(app.store), directory)


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
              now: datetime | None = None, cache: InputCache | None = None) -> CycleResult:
    """Plan, decide and enqueue `day` for the whole portfolio (see the module docstring).

    `cache` keeps the ledger, consents and history between the days of a range.
    """
    books = books or cycle_playbooks(app)  # a broken playbook fails here, before any change
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
        inputs, amounts = load_inputs(conn, day, min_dpd=min_dpd, skip=skip, cache=cache)
        inputs, risk = with_risk_segments(app, conn, day, inputs, cache)
    if risk:  # the approved collection model set the risk segments: say which, and how many
        with app.store.transaction(actor) as uow:
            uow.audit("risk.segments_set", f"cycle:{day.isoformat()}", risk)
    plan = plan_day(inputs, books, day)
    decided = decide_plan(plan.attempts, inputs, books, day, with_requests=True).attempts
    decided = decided.join(amounts, on="borrower_id", how="left").sort(
        "borrower_id", "planned_at", "step_id")
    _mark_run(app, day, books, now, None)
    sign = Signature(company=options.lender, hotline=options.phone)
    links = cycle_links(app)
    # Whole accounts per batch: the n-th distinct borrower goes to batch n // size.
    decided = decided.with_columns(
        _batch=(pl.col("borrower_id").rank("dense") - 1) // max(options.batch, 1))
    enqueued = batches = 0
    for part in decided.partition_by("_batch", maintain_order=True):
        enqueued += _write_batch(app, books, day, part.drop("_batch"), sign, actor, now,
                                 batches, links)
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


def _write_batch(app: App, books: PlaybookSet, day: date, part: pl.DataFrame, sign: Signature,
                 actor: str, now: datetime, index: int, links: CycleLinks | None = None) -> int:
    """One batch, one transaction (tests replace this to simulate a crash between batches)."""
    with app.store.transaction(actor) as uow:
        return write_batch(uow, app.vault, books, day, part, sign, now, index, links)


@dataclass(frozen=True)
class DayRun:
    """One date of a range: the cycle's result and, when simulating, what borrowers did."""

    cycle: CycleResult
    sent: int = 0
    outcome: DayOutcome | None = None


def run_range(app: App, start: date, end: date, *, books: PlaybookSet | None = None,
              options: CycleOptions = CycleOptions(), actor: str = ACTOR,
              simulate: bool = False, seed: int = 7,
              say: Say = lambda _: None,
              on_progress: Callable[[int, int], None] | None = None) -> list[DayRun]:
    """Run every date from `start` to `end` inclusive, in order; `on_progress(done, total)`
    is told of each date finished.

    With `simulate`, each day's messages are dispatched at their planned times (the worker
    runs on a simulated clock) and borrower responses are simulated from `seed`.
    """
    if end < start:
        raise InputError(f"--to {end} is before --from {start}", field="to")
    books = books or cycle_playbooks(app)
    with app.store.read() as conn:
        require_portfolio(conn, start)
    out: list[DayRun] = []
    cache = InputCache()  # the ledger, consents and history, updated day by day
    day = start
    days = (end - start).days + 1
    if on_progress is not None:
        on_progress(0, days)
    while day <= end:
        result = run_cycle(app, day, books=books, options=options, actor=actor, cache=cache)
        if simulate:
            clock = SimClock(datetime.combine(day, datetime.min.time(), tzinfo=UTC))
            sent = dispatch_day(app, day, clock)
            outcome = respond(app, day, seed, clock, cache)
            out.append(DayRun(result, sent, outcome))
            say(f"{day}: {result.allowed} allowed, {result.denied} denied, {sent} sent, "
                f"{outcome.payments} payments, {outcome.promises} promises")
        else:
            out.append(DayRun(result))
            say(f"{day}: {result.allowed} allowed, {result.denied} denied")
        if on_progress is not None:
            on_progress(len(out), days)
        day += timedelta(days=1)
    shred_after_erasures(app, actor, say)
    return out


def shred_after_erasures(app: App, actor: str, say: Say = lambda _: None) -> None:
    """The daily cycle's last step: a new key epoch when erasures happened since the last."""
    from faircollect.access.shredding import pending_shred, shred_erased

    if not pending_shred(app.store):
        return
    done = shred_erased(app.store, app.keys, app.vault, actor=actor)
    say(f"shred step: {done.shredded} erased data key(s) no longer open from older copies "
        f"(new master {done.new_master}, {len(done.retired)} old master key(s) destroyed)")


def _run_view(row: Any) -> dict[str, Any]:
    return {"business_date": row.business_date.isoformat(), "status": row.status,
            "playbooks": row.playbooks.split(",") if row.playbooks else [],
            "counts": json.loads(row.counts or "{}"),
            "started_at": row.started_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None}


def cycle_run(app: App, day: date) -> dict[str, Any]:
    """A date's run: running or done, with its counts; NotFound when it never started."""
    from faircollect.errors import NotFound

    with app.store.read() as conn:
        row = conn.execute(select(cycle_runs).where(cycle_runs.c.business_date == day)).first()
    if row is None:
        raise NotFound(f"no cycle run for {day.isoformat()}", business_date=day.isoformat())
    return _run_view(row)


def cycle_run_list(app: App, *, limit: int, after: date | None = None,
                   status: str | None = None) -> list[dict[str, Any]]:
    """Runs by business date after `after`, optionally only `running` or `done` ones."""
    query = select(cycle_runs).order_by(cycle_runs.c.business_date).limit(limit)
    if after is not None:
        query = query.where(cycle_runs.c.business_date > after)
    if status is not None:
        query = query.where(cycle_runs.c.status == status)
    with app.store.read() as conn:
        return [_run_view(r) for r in conn.execute(query)]
