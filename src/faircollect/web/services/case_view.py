"""Read services for the console's case view and dashboard: recorded attempts with their
decisions, and the dashboard's figures (from the compliance and portfolio reports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from faircollect.bootstrap import App
from faircollect.cases.borrower import split
from faircollect.store.tables.cycle import planned_attempts


@dataclass(frozen=True, slots=True)
class Attempt:
    business_date: date
    planned_at: datetime
    step_id: str
    channel: str
    audience: str
    template_id: str
    allowed: bool
    rules: tuple[str, ...]
    pack_id: str


def attempts(app: App, borrower_id: str, limit: int = 50) -> list[Attempt]:
    """The borrower's planned attempts, newest first, with the decision and cited rules."""
    p = planned_attempts.c
    with app.store.read() as conn:
        rows = conn.execute(select(p.business_date, p.planned_at, p.step_id, p.channel,
                                   p.audience, p.template_id, p.allowed, p.rules, p.pack_id)
                            .where(p.borrower_id == borrower_id)
                            .order_by(p.planned_at.desc()).limit(limit)).all()
    return [Attempt(r.business_date, r.planned_at, r.step_id, r.channel, r.audience,
                    r.template_id, bool(r.allowed), tuple(split(r.rules)), r.pack_id)
            for r in rows]


def dashboard(app: App) -> dict[str, Any] | None:
    """Buckets, roll rates, denials by rule, sends by local hour and complaints over every
    cycle run; None before any cycle has run."""
    from faircollect.reports.compliance import build_report, cycle_range
    from faircollect.reports.portfolio import portfolio_summary

    with app.store.read() as conn:
        low, high = cycle_range(conn)
        if low is None or high is None:
            return None
        report = build_report(conn, low, high)
        summary = portfolio_summary(conn, high, low)
    return {"report": report, "summary": summary}


def borrower_timezone(app: App, borrower_id: str) -> str | None:
    """The borrower's time zone (times on their pages are shown in it)."""
    from faircollect.store.tables.foundation import borrowers

    with app.store.read() as conn:
        tz = conn.execute(select(borrowers.c.timezone).where(
            borrowers.c.borrower_id == borrower_id)).scalar()
    return str(tz) if tz else None


@dataclass(frozen=True, slots=True)
class OpenComplaint:
    complaint_id: str
    borrower_id: str
    complainant: str
    category: str
    received_at: datetime
    sla_due_at: datetime


def open_complaints(app: App, limit: int = 100) -> list[OpenComplaint]:
    """Open complaints, the nearest SLA deadline first."""
    from faircollect.store.tables.cases import complaints

    c = complaints.c
    with app.store.read() as conn:
        rows = conn.execute(select(c.complaint_id, c.borrower_id, c.complainant, c.category,
                                   c.received_at, c.sla_due_at).where(c.state == "open")
                            .order_by(c.sla_due_at, c.complaint_id).limit(limit)).all()
    return [OpenComplaint(*r) for r in rows]


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the planner would attempt for the case on a day, and the decision point's answer."""

    day: date
    step_id: str
    channel: str
    audience: str
    template_id: str
    allowed: bool
    rules: tuple[str, ...]


def next_steps(app: App, borrower_id: str, day: date) -> list[NextStep]:
    """The planner and the decision point run for this one case on `day` (nothing written):
    the same functions the daily cycle calls, on the inputs it would load."""
    import polars as pl

    from faircollect.cycle import cycle_playbooks
    from faircollect.strategy.decisions import decide_plan
    from faircollect.strategy.inputs import PlanInputs
    from faircollect.strategy.loader import load_inputs
    from faircollect.strategy.planner import plan_day

    books = cycle_playbooks(app)
    min_dpd = min(s.dpd_from for b in books.playbooks.values() for s in b.stages)
    with app.store.read() as conn:
        inputs, _ = load_inputs(conn, day, min_dpd=min_dpd)
    mine = PlanInputs(**{name: getattr(inputs, name).filter(pl.col("borrower_id") == borrower_id)
                         for name in ("accounts", "contacts", "consents", "history", "notices",
                                      "done")})
    attempts = plan_day(mine, books, day).attempts
    if attempts.is_empty():
        return []
    decided = decide_plan(attempts, mine, books, day).attempts
    out = []
    for r in decided.iter_rows(named=True):
        rules = r.get("rules") or []
        out.append(NextStep(day, str(r["step_id"]), str(r["channel"]), str(r["audience"]),
                            str(r["template_id"] or ""), bool(r["allowed"]),
                            tuple(str(x) for x in rules)))
    return out
