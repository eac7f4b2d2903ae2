"""Borrowers' accounts as the faces show them: borrowers (no personal data), their loans
with schedule, payments and delinquency position (days past due, bucket) as of a day.

Personal fields (names, phones, ...) are read only through the access guard; nothing here
decrypts anything.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from faircollect.cases.borrower import BorrowerRecord, load_borrower, split
from faircollect.errors import NotFound
from faircollect.ledger.money import Money
from faircollect.ledger.snapshot import snapshot
from faircollect.portfolio.snapshot import load_installments, load_payments
from faircollect.store.tables.foundation import borrowers, installments, loans, payments
from faircollect.store.unit_of_work import Store

_CHUNK = 900  # rows (and bound ids) per query, under SQLite's parameter limit


def _money(minor: int, currency: str) -> str:
    return str(Money(int(minor), currency).amount)


def list_borrowers(
    store: Store, *, limit: int, after: str | None = None, jurisdiction: str | None = None,
    flag: str | None = None, among: Collection[str] | None = None,
) -> list[BorrowerRecord]:
    """Borrowers in id order after `after` (keyset), at most `limit`, optionally only one
    jurisdiction, those carrying `flag`, or those in `among` (a collector's cases)."""
    b = borrowers.c
    base = select(b.borrower_id, b.jurisdiction, b.flags, b.opted_out_channels, b.locale
                  ).order_by(b.borrower_id)
    if jurisdiction is not None:
        base = base.where(b.jurisdiction == jurisdiction)
    pending = None if among is None else sorted(i for i in among if after is None or i > after)
    out: list[BorrowerRecord] = []
    last = after
    with store.read() as conn:
        while len(out) < limit:
            query = base
            if pending is not None:  # a collector's cases: look them up by id, in chunks
                if not pending:
                    break
                chunk, pending = pending[:_CHUNK], pending[_CHUNK:]
                query = query.where(b.borrower_id.in_(chunk))
            else:
                if last is not None:
                    query = query.where(b.borrower_id > last)
                query = query.limit(_CHUNK)
            rows = conn.execute(query).all()
            for r in rows:
                rec = BorrowerRecord(r.borrower_id, r.jurisdiction, tuple(split(r.flags)),
                                     tuple(split(r.opted_out_channels)), str(r.locale or ""))
                if flag is None or flag in rec.flags:
                    out.append(rec)
                    if len(out) == limit:
                        break
            if pending is None:
                if len(rows) < _CHUNK:
                    break
                last = rows[-1].borrower_id
    return out


def borrower_record(store: Store, borrower_id: str) -> BorrowerRecord:
    """The borrower's non-personal record (jurisdiction, flags, opt-outs), or NotFound."""
    with store.read() as conn:
        return load_borrower(conn, borrower_id)


def loan_owner(store: Store, loan_id: str) -> str:
    """The borrower a loan belongs to, or NotFound."""
    with store.read() as conn:
        owner = conn.execute(select(loans.c.borrower_id).where(loans.c.loan_id == loan_id)
                             ).scalar()
    if owner is None:
        raise NotFound("unknown loan", loan_id=loan_id)
    return str(owner)


def _positions(conn: Connection, borrower_id: str, as_of: date) -> dict[str, dict[str, Any]]:
    inst = load_installments(conn, [borrower_id])
    if inst.is_empty():
        return {}
    snap = snapshot(inst.drop("borrower_id"), load_payments(conn, [borrower_id]), as_of)
    out: dict[str, dict[str, Any]] = {}
    for row in snap.iter_rows(named=True):
        cur = str(row["currency"])
        out[str(row["loan_id"])] = {
            "as_of": as_of.isoformat(),
            "days_past_due": int(row["days_past_due"]),
            "bucket": str(row["bucket"]),
            "outstanding_principal": _money(row["outstanding_principal"], cur),
            "overdue_amount": _money(row["overdue_amount"], cur),
            "paid_to_date": _money(row["paid_to_date"], cur),
            "next_due_on": row["next_due_on"].isoformat() if row["next_due_on"] else None,
            "installments_overdue": int(row["installments_overdue"]),
        }
    return out


def _loan(row: Any, position: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "loan_id": row.loan_id, "borrower_id": row.borrower_id, "currency": row.currency,
        "principal": _money(row.principal_minor, row.currency),
        "annual_rate": str(row.annual_rate), "term_months": int(row.term_months),
        "disbursed_on": row.disbursed_on.isoformat(),
        "first_due_on": row.first_due_on.isoformat(), "schedule": row.schedule,
        "position": position,
    }


def borrower_loans(store: Store, borrower_id: str, as_of: date) -> list[dict[str, Any]]:
    """The borrower's loans with their position as of `as_of`; NotFound for no borrower."""
    with store.read() as conn:
        load_borrower(conn, borrower_id)
        rows = conn.execute(select(loans).where(loans.c.borrower_id == borrower_id)
                            .order_by(loans.c.loan_id)).all()
        positions = _positions(conn, borrower_id, as_of)
    return [_loan(r, positions.get(r.loan_id)) for r in rows]


def loan_detail(store: Store, loan_id: str, as_of: date) -> dict[str, Any]:
    """One loan: terms, position as of `as_of`, schedule and payments; NotFound for none."""
    with store.read() as conn:
        row = conn.execute(select(loans).where(loans.c.loan_id == loan_id)).first()
        if row is None:
            raise NotFound("unknown loan", loan_id=loan_id)
        cur = row.currency
        sched = conn.execute(select(installments).where(installments.c.loan_id == loan_id)
                             .order_by(installments.c.number)).all()
        paid = conn.execute(select(payments).where(payments.c.loan_id == loan_id)
                            .order_by(payments.c.paid_on, payments.c.payment_id)).all()
        position = _positions(conn, row.borrower_id, as_of).get(loan_id)
    return {
        **_loan(row, position),
        "installments": [{"number": int(i.number), "due_on": i.due_on.isoformat(),
                          "principal": _money(i.principal_minor, cur),
                          "interest": _money(i.interest_minor, cur),
                          "fees": _money(i.fees_minor, cur)} for i in sched],
        "payments": [{"payment_id": p.payment_id, "paid_on": p.paid_on.isoformat(),
                      "amount": _money(p.amount_minor, cur)} for p in paid],
    }
