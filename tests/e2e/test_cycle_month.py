"""A simulated month: every sent message re-decided independently, roll rates move, cases bite.

The check does not trust the planner: for each message the cycle sent, it rebuilds the
decision request from the store as it stood at the send time (the borrower's flags with
disputes open then, every contact including address-book ones, consent records, the whole
contact history, the notices sent, reachability recomputed here) and asks the scalar
`decide` under the borrower's pack.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from faircollect.consent.record import spans
from faircollect.consent.repository import load_records
from faircollect.content.registry import TemplateRegistry
from faircollect.content.template import State, Template
from faircollect.cycle import run_range
from faircollect.demo import approve_starter_library
from faircollect.dispatch.outbox import open_body
from faircollect.ledger.roll_rates import roll_rates
from faircollect.policy.decide import decide
from faircollect.policy.pack import resolve_pack
from faircollect.policy.request import DecisionRequest
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.portfolio.snapshot import portfolio_snapshot
from faircollect.store.tables.cases import disputes, promises
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.dispatch import contact_history, outbox
from faircollect.store.tables.foundation import borrowers, contacts

START = date(2026, 3, 2)
DAYS = 30


def _unreachable(history: list[Any], at: datetime) -> datetime | None:
    """Three missed calls in a row since the last conversation (computed here, not imported)."""
    missed: list[datetime] = []
    for h in sorted(history, key=lambda h: h.at):
        if h.at >= at or h.audience != "borrower":
            continue
        if h.outcome == "connected":
            missed = []
        elif h.channel == "call" and h.outcome in ("no_answer", "busy", "failed"):
            missed.append(h.at)
    return missed[0] if len(missed) >= 3 else None


def _request(conn: Any, app: Any, msg: Any, templates: dict[str, Template]) -> DecisionRequest:
    b = conn.execute(select(borrowers).where(borrowers.c.borrower_id == msg.borrower_id)).one()
    at = msg.sent_at
    flags = [f for f in b.flags.split(";") if f and f != "dispute_open"]
    open_then = conn.execute(select(disputes).where(
        disputes.c.borrower_id == b.borrower_id, disputes.c.opened_at <= at)).all()
    if any(d.resolved_at is None or d.resolved_at > at for d in open_then):
        flags.append("dispute_open")
    people = conn.execute(select(contacts).where(contacts.c.borrower_id == b.borrower_id)).all()
    history = conn.execute(select(contact_history).where(
        contact_history.c.borrower_id == b.borrower_id)).all()
    notices = conn.execute(select(outbox.c.sent_at, outbox.c.notice_kind).where(
        outbox.c.borrower_id == b.borrower_id, outbox.c.state == "sent",
        outbox.c.notice_kind.is_not(None), outbox.c.sent_at < at)).all()
    consents = [{"purpose": s.purpose, "contact_id": s.contact_id, "granted_at": s.start,
                 "expires_at": s.expires, "withdrawn_at": s.withdrawn_at}
                for s in spans(load_records(conn, borrower_id=b.borrower_id))]
    tpl = templates.get(msg.template_id)  # the registry's approved version (HOUSE-TEMPLATES)
    assert tpl is not None
    return DecisionRequest.model_validate({
        "jurisdiction": b.jurisdiction, "at": at,
        "attempt": {"channel": msg.channel, "audience": msg.audience, "purpose": msg.purpose,
                    "contact_id": msg.contact_id,
                    "template": {"id": tpl.template_id,
                                 "approved": tpl.state == State.APPROVED, "locale": tpl.locale,
                                 "body": open_body(conn, app.vault, msg)}},
        "borrower": {"timezone": b.timezone, "days_past_due": 0, "flags": flags,
                     "unreachable_since": _unreachable(history, at),
                     "opted_out_channels": [c for c in b.opted_out_channels.split(";") if c]},
        "contacts": [{"id": c.contact_id, "relation": c.relation, "source": c.source,
                      "refused_contact": c.refused_contact} for c in people],
        "consents": consents,
        "history": [{"at": h.at, "channel": h.channel, "audience": h.audience,
                     "contact_id": h.contact_id, "outcome": h.outcome}
                    for h in history if h.at < at],
        "notices": [{"at": n.sent_at, "kind": n.notice_kind} for n in notices],
    })


@pytest.mark.slow
def test_a_simulated_month(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=300, seed=5, as_of=START - timedelta(days=1))
    import_portfolio(app, tmp_path / "pf", actor="test")
    assert approve_starter_library(app) > 0  # maker-checker through the registry
    with app.store.read() as conn:
        before = portfolio_snapshot(conn, START)
    days = run_range(app, START, START + timedelta(days=DAYS - 1), simulate=True, seed=3)
    end = START + timedelta(days=DAYS - 1)
    templates = {t.template_id: t for t in TemplateRegistry(app.store).list(State.APPROVED)}
    with app.store.read() as conn:
        after = portfolio_snapshot(conn, end)
        sent = conn.execute(select(outbox).join(
            planned_attempts, planned_attempts.c.message_id == outbox.c.message_id).where(
            outbox.c.state == "sent")).all()
        # 1. No sent message breaks a pack, decided again from the store alone.
        breaches = []
        for msg in sent:
            request = _request(conn, app, msg, templates)
            decision = decide(request, resolve_pack(request.jurisdiction))
            if not decision.allowed:
                breaches.append((msg.message_id, [v.rule for v in decision.violations]))
        assert sent and not breaches, breaches[:5]
        # Sent at the planned instant, so the planner's view and the check's agree.
        assert all(m.sent_at == m.planned_at for m in sent)
        people = conn.execute(select(outbox.c.contact_id, contacts.c.source).join(
            contacts, contacts.c.contact_id == outbox.c.contact_id)).all()
        assert all(source == "borrower_designated" for _, source in people)
        # 3. Promises and disputes change the plan.
        made = conn.execute(select(promises)).all()
        opened = conn.execute(select(disputes)).all()
        assert made and opened
        for p in made:
            later = conn.execute(select(planned_attempts.c.step_id).where(
                planned_attempts.c.borrower_id == p.borrower_id,
                planned_attempts.c.business_date > p.promised_on,
                planned_attempts.c.business_date < p.due_on,
                planned_attempts.c.kind == "message")).all()
            assert later == [], "a pending promise stops collection messages"
        for d in opened:
            later = conn.execute(select(planned_attempts.c.step_id).where(
                planned_attempts.c.borrower_id == d.borrower_id,
                planned_attempts.c.business_date > d.opened_at.date())).all()
            assert later == [], "an open dispute is a hold"
    # 2. Recoveries and roll rates move.
    assert sum(d.outcome.payments for d in days if d.outcome) > 10
    rates = roll_rates(before, after)
    cured = rates.filter((pl.col("from_bucket") != "M0") & (pl.col("to_bucket") == "M0"))
    rolled = rates.filter(pl.col("from_bucket") != pl.col("to_bucket"))
    assert cured["accounts"].sum() > 0 and rolled["accounts"].sum() > cured["accounts"].sum()
    assert after["paid_to_date"].sum() > before["paid_to_date"].sum()
    # Denials were recorded with their reasons, and nothing ran twice.
    again = run_range(app, end, end)
    assert again[0].cycle.attempts == 0
