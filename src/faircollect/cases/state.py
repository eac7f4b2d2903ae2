"""`case_state`: each borrower's case as the planner needs it for decision requests.

Shape (per borrower id; instants are aware UTC datetimes, days are dates, money in minor
units):

    {
      "flags": ["dispute_open", ...],          # effective: a lapsed hardship pause is dropped
      "opted_out_channels": ["sms", ...],
      "holds": ["dispute_open", ...],          # the flags that forbid collection
      "hardship_until": date | None,           # last day of the current pause
      "promise": {...} | None,                 # the pending promise, see `promises`
      "promises": [{"promise_id", "loan_id", "amount_minor", "currency",
                    "promised_on", "due_on", "status"}],  # pending|kept|broken|cancelled
      "plan": {...} | None,                    # the active plan, see `plans`
      "plans": [{"plan_id", "loan_id", "currency", "arrears_minor", "waived_fees_minor",
                 "re_age", "agreed_on", "status",        # active|completed|broken|cancelled
                 "installments": [{"number", "due_on", "amount_minor"}]}],
      "disputes_open": ["dsp-...", ...],
      "complaints_open": [{"complaint_id", "sla_due_at"}],
      "history": [{"history_id", "at", "channel", "audience", "contact_id", "outcome"}],
      "notices": [{"at", "kind"}],
    }
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Connection, select

from faircollect.cases.borrower import split
from faircollect.cases.plans import plan_status
from faircollect.cases.promises import PromiseFacts, promise_status
from faircollect.dispatch.history import history_for, notices_for
from faircollect.store.tables.cases import (
    complaints,
    disputes,
    hardship_pauses,
    payment_plans,
    plan_installments,
    promises,
)
from faircollect.store.tables.foundation import borrowers, payments
from faircollect.vocabulary import HOLD_FLAGS

CHUNK: Final = 500  # ids per IN list: inside every engine's bound-parameter limit


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def with_live_cases(conn: Connection, day: date, ids: list[str] | None = None) -> set[str]:
    """Borrowers whose case can matter on `day`: a promise not cancelled and not yet due (a
    promise past its due date is kept or broken, no longer pending), any payment plan, any
    hardship pause. `ids` limits the answer to those borrowers (all when None)."""
    queries = (
        select(promises.c.borrower_id).where(promises.c.due_on >= day,
                                             promises.c.cancelled_at.is_(None)),
        select(payment_plans.c.borrower_id),
        select(hardship_pauses.c.borrower_id),
    )
    found: set[str] = set()
    for query in queries:
        if ids is None:
            found.update(conn.execute(query.distinct()).scalars())
            continue
        for chunk in _chunks(ids):
            found.update(conn.execute(query.distinct().where(
                query.selected_columns[0].in_(chunk))).scalars())
    return found


def case_state(
    conn: Connection, borrower_ids: Iterable[str], *, as_of: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Each known borrower's case state on `as_of` (default: now); unknown ids are left out."""
    as_of = as_of or datetime.now(UTC)
    today = as_of.date()
    ids = list(dict.fromkeys(borrower_ids))
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        out.update(_chunk_state(conn, chunk, as_of, today))
    return out


def _chunk_state(
    conn: Connection, ids: list[str], as_of: datetime, today: date
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in conn.execute(
        select(borrowers.c.borrower_id, borrowers.c.flags, borrowers.c.opted_out_channels).where(
            borrowers.c.borrower_id.in_(ids)
        )
    ):
        out[row.borrower_id] = {
            "flags": split(row.flags),
            "opted_out_channels": split(row.opted_out_channels),
            "hardship_until": None,
            "promise": None,
            "promises": [],
            "plan": None,
            "plans": [],
            "disputes_open": [],
            "complaints_open": [],
        }
    known = list(out)
    if not known:
        return out
    _hardship(conn, known, out, today)
    paid = _payments(conn, known)
    _promises(conn, known, out, paid, today)
    _plans(conn, known, out, paid, today)
    for dsp in conn.execute(
        select(disputes.c.borrower_id, disputes.c.dispute_id)
        .where(disputes.c.borrower_id.in_(known), disputes.c.state == "open")
        .order_by(disputes.c.opened_at)
    ):
        out[dsp.borrower_id]["disputes_open"].append(dsp.dispute_id)
    for cmp in conn.execute(
        select(complaints.c.borrower_id, complaints.c.complaint_id, complaints.c.sla_due_at)
        .where(complaints.c.borrower_id.in_(known), complaints.c.state == "open")
        .order_by(complaints.c.received_at)
    ):
        out[cmp.borrower_id]["complaints_open"].append(
            {"complaint_id": cmp.complaint_id, "sla_due_at": cmp.sla_due_at}
        )
    history = history_for(conn, known)
    notices = notices_for(conn, known)
    for borrower_id, state in out.items():
        state["holds"] = [f for f in state["flags"] if f in HOLD_FLAGS]
        state["history"] = [h for h in history[borrower_id] if h["at"] <= as_of]
        state["notices"] = [n for n in notices[borrower_id] if n["at"] <= as_of]
    return out


def _hardship(
    conn: Connection, ids: list[str], out: dict[str, dict[str, Any]], today: date
) -> None:
    ends: dict[str, date] = {}
    for row in conn.execute(
        select(
            hardship_pauses.c.borrower_id, hardship_pauses.c.starts_on, hardship_pauses.c.ends_on
        ).where(hardship_pauses.c.borrower_id.in_(ids))
    ):
        if row.starts_on <= today <= row.ends_on:
            ends[row.borrower_id] = max(row.ends_on, ends.get(row.borrower_id, row.ends_on))
    for borrower_id, state in out.items():
        state["hardship_until"] = ends.get(borrower_id)
        if borrower_id not in ends and "hardship_pause" in state["flags"]:
            # The pause has lapsed (or never had a record): the flag no longer holds.
            state["flags"] = [f for f in state["flags"] if f != "hardship_pause"]


def _payments(conn: Connection, ids: list[str]) -> dict[str, list[tuple[date, int]]]:
    """Payments per loan of the given borrowers: (paid_on, minor units)."""
    from faircollect.store.tables.foundation import loans

    paid: dict[str, list[tuple[date, int]]] = defaultdict(list)
    query = (
        select(payments.c.loan_id, payments.c.paid_on, payments.c.amount_minor)
        .join(loans, loans.c.loan_id == payments.c.loan_id)
        .where(loans.c.borrower_id.in_(ids))
    )
    for row in conn.execute(query):
        paid[row.loan_id].append((row.paid_on, int(row.amount_minor)))
    return paid


def _promises(
    conn: Connection,
    ids: list[str],
    out: dict[str, dict[str, Any]],
    paid: dict[str, list[tuple[date, int]]],
    today: date,
) -> None:
    for row in conn.execute(
        select(promises).where(promises.c.borrower_id.in_(ids)).order_by(promises.c.created_at)
    ):
        facts = PromiseFacts(
            row.amount_minor, row.promised_on, row.due_on, row.cancelled_at is not None
        )
        item = {
            "promise_id": row.promise_id,
            "loan_id": row.loan_id,
            "amount_minor": int(row.amount_minor),
            "currency": row.currency,
            "promised_on": row.promised_on,
            "due_on": row.due_on,
            "status": promise_status(facts, paid.get(row.loan_id, []), today),
        }
        state = out[row.borrower_id]
        state["promises"].append(item)
        if item["status"] == "pending":
            state["promise"] = item


def _plans(
    conn: Connection,
    ids: list[str],
    out: dict[str, dict[str, Any]],
    paid: dict[str, list[tuple[date, int]]],
    today: date,
) -> None:
    rows = conn.execute(
        select(payment_plans)
        .where(payment_plans.c.borrower_id.in_(ids))
        .order_by(payment_plans.c.created_at)
    ).all()
    if not rows:
        return
    dues: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for inst in conn.execute(
        select(plan_installments)
        .where(plan_installments.c.plan_id.in_([r.plan_id for r in rows]))
        .order_by(plan_installments.c.plan_id, plan_installments.c.number)
    ):
        dues[inst.plan_id].append(
            {"number": inst.number, "due_on": inst.due_on, "amount_minor": int(inst.amount_minor)}
        )
    for row in rows:
        schedule = dues[row.plan_id]
        since = [(d, a) for d, a in paid.get(row.loan_id, []) if d >= row.agreed_on]
        status = plan_status(
            [(i["due_on"], i["amount_minor"]) for i in schedule],
            since,
            today,
            row.cancelled_at is not None,
        )
        item = {
            "plan_id": row.plan_id,
            "loan_id": row.loan_id,
            "currency": row.currency,
            "arrears_minor": int(row.arrears_minor),
            "waived_fees_minor": int(row.waived_fees_minor),
            "re_age": bool(row.re_age),
            "agreed_on": row.agreed_on,
            "status": status,
            "installments": schedule,
        }
        state = out[row.borrower_id]
        state["plans"].append(item)
        if status == "active":
            state["plan"] = item
