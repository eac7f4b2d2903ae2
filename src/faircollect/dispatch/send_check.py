"""Re-deciding claimed messages at the moment they are sent (the worker's send-time check).

For every claimed message the daily cycle planned, the planning request (kept in
`policy_decisions`) is decided again under the pack now in force for its jurisdiction,
at the moment of sending, with what is true now: the contact history and notices sent
since planning, the borrower's flags (holds, cease requests) and opted-out channels, and
the consents as the ledger holds them now (a withdrawal since planning counts). Account
changes that make the playbook stop (paid in full, nothing overdue any more for a message
planned while something was, a promise to pay, a payment plan, a hold) cancel the message. Messages not planned by the cycle (a dispute acknowledgement, a required letter)
have no planning request and are sent as before.

The verdicts are turned into outbox states by the worker; see `send_verdict` for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, select

from faircollect.cases.borrower import split
from faircollect.cases.state import case_state, with_live_cases
from faircollect.consent.record import decision_entries
from faircollect.consent.repository import load_records
from faircollect.dispatch.history import history_for, notices_for
from faircollect.dispatch.planned_request import Planned, PlannedReader
from faircollect.dispatch.send_verdict import Verdict, local_day_end, verdict
from faircollect.policy.content_check import content_lint
from faircollect.policy.decide import decide
from faircollect.policy.decision import Decision
from faircollect.policy.pack import Pack, builtin_packs, resolve_pack
from faircollect.policy.request import (
    Consent,
    DecisionRequest,
    HistoryEntry,
    Notice,
)
from faircollect.portfolio.snapshot import borrower_balances
from faircollect.store.tables.cases import disputes
from faircollect.store.tables.content import templates
from faircollect.store.tables.foundation import borrowers, loans, payments
from faircollect.vocabulary import CHANNELS, HISTORY_DAYS, HOLD_FLAGS

_CHUNK = 900

Checked = tuple[Verdict, DecisionRequest, Decision]


def packs_in_force() -> dict[str, Pack]:
    """The pack now in force for each jurisdiction (its newest version), by jurisdiction."""
    return {j: resolve_pack(j) for j in sorted({p.jurisdiction for p in builtin_packs()})}


def warm_up(conn: Connection) -> dict[str, Pack]:
    """Load what every send-time decision needs once per process, before the first batch.

    The packs in force (with the lender's approved overrides, as the cycle plans under
    them), the lexicons of the locales they serve, and the content lint of
    every approved template on each channel it may go out on (the lint is memoised per
    body), so the first batch costs what every other does. Returns the packs in force.
    """
    from faircollect.governance.strategy_service import packs_with_overrides

    packs = packs_with_overrides(conn, packs_in_force())
    rows = conn.execute(select(templates.c.body, templates.c.locale, templates.c.audience,
                               templates.c.channel)
                        .where(templates.c.state == "approved")).all()
    for body, locale, audience, channel in rows:
        for ch in (channel,) if channel else CHANNELS:
            content_lint(body, locale, audience, ch)
    return packs


def _in_force(planned_under: str, packs: dict[str, Pack]) -> Pack:
    """The pack in force now for the jurisdiction of the pack a message was planned under.

    A request names the pack version it was planned under (`cn-2026.1`, or with a lender's
    override `cn-2026.1+acme-cn`) or its jurisdiction; what decides at send time is the
    jurisdiction's pack in force now (`packs`, by jurisdiction, overrides applied), else its
    newest shipped pack."""
    code = resolve_pack(planned_under.split("+", 1)[0]).jurisdiction
    return packs.get(code) or resolve_pack(code)


def _states(conn: Connection, ids: list[str], as_of: datetime) -> dict[str, dict[str, Any]]:
    """What the check needs of each borrower's state now.

    The full case state (promises kept or broken, plans, hardship) is computed only for
    borrowers with a case record that can matter; the others need only their flags,
    opted-out channels, history and notices.
    """
    with_cases = with_live_cases(conn, as_of.date(), ids)
    for start in range(0, len(ids), _CHUNK):  # an open dispute is named, not just a hold flag
        with_cases.update(conn.execute(select(disputes.c.borrower_id).distinct().where(
            disputes.c.state == "open",
            disputes.c.borrower_id.in_(ids[start:start + _CHUNK]))).scalars())
    out = case_state(conn, [b for b in ids if b in with_cases], as_of=as_of)
    plain = [b for b in ids if b not in with_cases]
    if not plain:
        return out
    history, notices = history_for(conn, plain), notices_for(conn, plain)
    parts: dict[str | None, list[str]] = {}  # a day's few distinct flag strings, split once
    for start in range(0, len(plain), _CHUNK):
        for row in conn.execute(
            select(borrowers.c.borrower_id, borrowers.c.flags, borrowers.c.opted_out_channels)
            .where(borrowers.c.borrower_id.in_(plain[start:start + _CHUNK]),
                   borrowers.c.erased_at.is_(None))
        ):
            flags = parts.get(row.flags)
            if flags is None:
                flags = parts[row.flags] = split(row.flags)
            opted_out = parts.get(row.opted_out_channels)
            if opted_out is None:
                opted_out = parts[row.opted_out_channels] = split(row.opted_out_channels)
            out[row.borrower_id] = {
                "flags": flags, "opted_out_channels": opted_out,
                "holds": [f for f in flags if f in HOLD_FLAGS], "promise": None, "plan": None,
                "disputes_open": [], "history": history[row.borrower_id],
                "notices": notices[row.borrower_id]}
    return out


def _paid_since(conn: Connection, planned: Sequence[Row[Any]],
                requests: dict[str, Planned], reader: PlannedReader, day: date) -> dict[str, str]:
    """Borrowers whose payments since planning leave the planned messages pointless, with
    why: everything repaid ("paid in full"), or a message planned while something was
    overdue and nothing is overdue now.

    Only borrowers with a payment recorded since the batch was planned (or dated after its
    planned day) are recomputed; the others owe what they owed when the cycle planned.
    """
    if reader.planned_since is None or reader.first_planned is None:
        return {}
    ids = list(dict.fromkeys(r.borrower_id for r in planned))
    since, first_day = reader.planned_since, reader.first_planned.date()
    paying: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        paying.update(conn.execute(
            select(loans.c.borrower_id).distinct()
            .join(payments, payments.c.loan_id == loans.c.loan_id)
            .where(loans.c.borrower_id.in_(ids[start:start + _CHUNK]),
                   (payments.c.created_at >= since) | (payments.c.paid_on > first_day))
        ).scalars())
    if not paying:
        return {}
    wanted = sorted(paying)
    balances: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(wanted), _CHUNK):
        balances.update(borrower_balances(conn, wanted[start:start + _CHUNK], day))
    overdue_at_plan = {r.borrower_id for r in planned
                       if requests[r.message_id].borrower.days_past_due > 0}
    out: dict[str, str] = {}
    for borrower_id, (overdue, owing) in balances.items():
        if not owing:
            out[borrower_id] = "paid in full"
        elif overdue == 0 and borrower_id in overdue_at_plan:
            out[borrower_id] = "paid: nothing is overdue now"
    return out


def _stopped(state: dict[str, Any]) -> str | None:
    if state.get("paid"):
        return str(state["paid"])
    if state.get("promise") is not None:
        return "a promise to pay is pending"
    if state.get("plan") is not None:
        return "a payment plan is active"
    if state.get("disputes_open"):
        return "a dispute is open"
    if state.get("holds"):
        return "hold " + ";".join(state["holds"])
    return None


def _models(state: dict[str, Any]) -> tuple[tuple[HistoryEntry, ...], tuple[Notice, ...]]:
    """A borrower's history and notices as request models, built once per borrower."""
    found = state.get("_models")
    if found is None:
        found = state["_models"] = (
            tuple(HistoryEntry.model_construct(
                at=h["at"], channel=h["channel"], audience=h["audience"],
                contact_id=h["contact_id"], outcome=h["outcome"]) for h in state["history"]),
            tuple(Notice.model_construct(at=n["at"], kind=n["kind"]) for n in state["notices"]))
    return found


def _refreshed(planned: Planned, state: dict[str, Any], consents: list[Consent],
               at: datetime, reader: PlannedReader) -> DecisionRequest:
    """The planning request as it stands at `at`: what was kept, with the state now."""
    since = at - timedelta(days=HISTORY_DAYS)
    history, notices = _models(state)
    attempt = planned.attempt
    return DecisionRequest.model_construct(
        jurisdiction=planned.jurisdiction, at=at.astimezone(UTC), attempt=attempt,
        borrower=reader.borrower(planned.borrower, state["flags"], state["opted_out_channels"]),
        contacts=planned.contacts,
        consents=planned.consents if attempt.contact_id is None else tuple(
            c for c in consents if c.contact_id == attempt.contact_id),
        history=tuple(h for h in history
                      if h.at <= at and (h.audience != "borrower" or h.at >= since)),
        notices=tuple(n for n in notices if n.at <= at))


def check_rows(conn: Connection, rows: Sequence[Row[Any]], at_of: dict[str, datetime],
               packs: dict[str, Pack] | None = None) -> dict[str, Checked]:
    """The send-time verdict of each claimed row the cycle planned, by message id.

    `at_of` gives each message's moment of sending (now, or its planned time in a
    simulation).
    """
    reader = PlannedReader()
    requests = reader.read(conn, [r.message_id for r in rows])
    if not requests:
        return {}
    planned = [r for r in rows if r.message_id in requests]
    ids = list(dict.fromkeys(r.borrower_id for r in planned))
    latest = max(at_of[r.message_id] for r in planned)
    states = _states(conn, ids, latest)
    for borrower_id, why in _paid_since(conn, planned, requests, reader, latest.date()).items():
        if borrower_id in states:
            states[borrower_id]["paid"] = why
    with_contact = {r.borrower_id for r in planned if r.contact_id is not None}
    consents = {b: [Consent.model_validate(c)
                    for c in decision_entries(load_records(conn, borrower_id=b))]
                for b in with_contact}
    packs = {} if packs is None else packs
    # The decision is a pure function of the request and the pack: messages whose requests
    # are equal (same moment, template, borrower situation, history) share one decision.
    decided: dict[tuple[int, DecisionRequest], Decision] = {}
    out: dict[str, Checked] = {}
    for row in planned:
        req, at = requests[row.message_id], at_of[row.message_id]
        state = states.get(row.borrower_id)
        if state is None:  # the borrower is gone: nothing may be sent
            state = {"flags": ["erased"], "opted_out_channels": [], "history": [],
                     "notices": [], "holds": ["erased"]}
        fresh = _refreshed(req, state, consents.get(row.borrower_id, []), at, reader)
        pack = packs.get(req.jurisdiction)
        if pack is None:
            pack = packs[req.jurisdiction] = _in_force(req.jurisdiction, packs)
        key = (id(pack), fresh)
        decision = decided.get(key)
        if decision is None:
            decision = decided[key] = decide(fresh, pack)
        expires = row.expires_at or local_day_end(row.planned_at, req.borrower.timezone)
        out[row.message_id] = (
            verdict(decision, at=at, expires_at=expires, stopped_by=_stopped(state)),
            fresh, decision)
    return out
