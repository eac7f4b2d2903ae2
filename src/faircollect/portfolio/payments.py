"""Posting payments day by day (the API's POST /v1/payments and `faircollect payments import`).

The same records, checks and row digest as the portfolio import's payments.csv, so a payment
posted here and later re-imported is unchanged. Posting is idempotent by payment id: the
same id with the same content changes nothing; the same id with other content is a 409.
A batch is one transaction with one audit entry: all of it is posted, or none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from faircollect.bootstrap import App
from faircollect.errors import Conflict, InputError, NotFound
from faircollect.ledger.money import Money
from faircollect.portfolio.reader import DEFAULT_ENCODING, SPECS, read_rows
from faircollect.portfolio.records import PaymentRecord, Row
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.foundation import loans, payments

MAX_BATCH = 1000  # per API call; a file is posted whole


@dataclass(frozen=True, slots=True)
class PaymentInput:
    """A payment as a caller sends it: the amount is a decimal string in the loan's currency."""

    payment_id: str
    loan_id: str
    paid_on: date
    amount: str
    currency: str | None = None  # when given, it must be the loan's
    where: str | None = None  # how errors name it, e.g. "payments.csv:7"


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored payment and whether this call created it."""

    payment_id: str
    loan_id: str
    paid_on: date
    amount: str
    currency: str
    created: bool


def payment_digest(digest: Callable[[tuple[str, ...]], str], p: PaymentRecord) -> str:
    """The keyed row digest of a payment (the import's and the API's)."""
    return digest((p.payment_id, p.loan_id, p.paid_on.isoformat(), str(p.amount_minor)))


def _loan_terms(conn: Connection, loan_ids: Sequence[str]) -> dict[str, tuple[str, date]]:
    ln = loans.c
    rows = conn.execute(
        select(ln.loan_id, ln.currency, ln.disbursed_on).where(ln.loan_id.in_(list(loan_ids)))
    )
    return {r.loan_id: (r.currency, r.disbursed_on) for r in rows}


def _record(item: PaymentInput, terms: dict[str, tuple[str, date]], where: str) -> PaymentRecord:
    found = terms.get(item.loan_id)
    if found is None:
        raise NotFound(f"{where}unknown loan {item.loan_id!r}", loan_id=item.loan_id)
    currency, disbursed_on = found
    if item.currency is not None and item.currency != currency:
        raise InputError(f"{where}currency {item.currency!r} is not the loan's ({currency})",
                         field="currency")
    money = Money.parse(item.amount, currency, field="amount")
    if money.minor <= 0:
        raise InputError(f"{where}amount must be positive", field="amount")
    if item.paid_on < disbursed_on:
        raise InputError(f"{where}paid_on is before the loan was disbursed", field="paid_on")
    return PaymentRecord(item.payment_id, item.loan_id, item.paid_on, money.minor)


def post_payments(app: App, items: Sequence[PaymentInput], *, actor: str) -> list[Posted]:
    """Post payments in one transaction with one audit entry; replays change nothing."""
    if not items:
        raise InputError("no payments given", field="payments")
    digest = app.vault.indexer.digest
    with app.store.transaction(actor=actor) as uow:
        conn = uow.conn
        terms = _loan_terms(conn, sorted({i.loan_id for i in items}))
        many = len(items) > 1
        records = [_record(i, terms, f"{i.where}: " if i.where else
                           (f"payments[{n}]: " if many else ""))
                   for n, i in enumerate(items)]
        p = payments.c
        ids = sorted({r.payment_id for r in records})
        stored = {row.payment_id: row.row_digest for row in conn.execute(
            select(p.payment_id, p.row_digest).where(p.payment_id.in_(ids)).with_for_update())}
        seen: dict[str, str] = {}
        new_rows, out = [], []
        now = app.store.clock()
        for r in records:
            d = payment_digest(digest, r)
            prior = stored.get(r.payment_id, seen.get(r.payment_id))
            if prior is not None and prior != d:
                raise Conflict(f"payment {r.payment_id} is already recorded with other content",
                               payment_id=r.payment_id)
            created = prior is None
            if created:
                seen[r.payment_id] = d
                new_rows.append({"payment_id": r.payment_id, "loan_id": r.loan_id,
                                 "paid_on": r.paid_on, "amount_minor": r.amount_minor,
                                 "row_digest": d, "created_at": now})
            currency = terms[r.loan_id][0]
            out.append(Posted(r.payment_id, r.loan_id, r.paid_on,
                              str(Money(r.amount_minor, currency).amount), currency, created))
        if new_rows:
            try:
                insert_rows(conn, payments, new_rows)
            except IntegrityError:  # the same id posted by a concurrent call: retry replays it
                raise Conflict("a payment with one of these ids was posted concurrently; "
                               "retry the call") from None
            uow.audit("payments.posted", "payments",
                      {"ids": [row["payment_id"] for row in new_rows]})
    return out


def read_payments_file(path: Path, encoding: str = DEFAULT_ENCODING) -> list[PaymentInput]:
    """Payments from a CSV (or Parquet) file with payments.csv's columns; errors name the line."""
    out = []
    for line, cells, lines in read_rows(path, SPECS["payments"], encoding):
        row = Row(path.name, line, cells, lines)
        out.append(PaymentInput(row.text("payment_id"), row.text("loan_id"), row.day("paid_on"),
                                row.text("amount"), where=f"{path.name}:{line}"))
    return out
