"""Promises to pay: an amount by a date, kept or broken as the ledger's payments show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from sqlalchemy import insert, update

from faircollect.cases.borrower import load_borrower, load_loan_currency, new_id
from faircollect.errors import InputError
from faircollect.ledger.money import Money
from faircollect.store.tables.cases import promises
from faircollect.store.unit_of_work import UnitOfWork

MAX_PROMISE_DAYS: Final = 60
PromiseStatus = Literal["pending", "kept", "broken", "cancelled"]


@dataclass(frozen=True, slots=True)
class PromiseFacts:
    """A stored promise and what was paid on its loan from the day it was made."""

    amount_minor: int
    promised_on: date
    due_on: date
    cancelled: bool


def promise_status(facts: PromiseFacts, paid: list[tuple[date, int]], as_of: date) -> PromiseStatus:
    """Kept once payments from the promise day to its due date reach the amount; broken when
    the due date has passed without that; pending before. `paid` is (paid_on, minor) pairs."""
    if facts.cancelled:
        return "cancelled"
    window = sum(minor for on, minor in paid if facts.promised_on <= on <= min(facts.due_on, as_of))
    if window >= facts.amount_minor:
        return "kept"
    return "broken" if as_of > facts.due_on else "pending"


def promise_to_pay(
    uow: UnitOfWork,
    *,
    borrower_id: str,
    loan_id: str,
    amount: str,
    due_on: date,
    today: date,
    now: datetime,
) -> str:
    """Record a promise to pay `amount` (a decimal string) on `loan_id` by `due_on`.

    A new promise replaces the loan's earlier pending ones (they are cancelled). Returns
    the promise id.
    """
    load_borrower(uow.conn, borrower_id, lock=True)
    currency = load_loan_currency(uow.conn, borrower_id, loan_id)
    money = Money.parse(amount, currency, field="amount")
    if money.minor <= 0:
        raise InputError("amount: a promise must be for more than zero", field="amount")
    if due_on < today:
        raise InputError("due_on: a promise cannot fall due in the past", field="due_on")
    if due_on > today + timedelta(days=MAX_PROMISE_DAYS):
        raise InputError(
            f"due_on: a promise may run at most {MAX_PROMISE_DAYS} days", field="due_on"
        )
    uow.conn.execute(
        update(promises)
        .where(
            promises.c.loan_id == loan_id,
            promises.c.cancelled_at.is_(None),
            promises.c.due_on >= today,
        )
        .values(cancelled_at=now)
    )
    promise_id = new_id("ptp")
    uow.conn.execute(
        insert(promises).values(
            promise_id=promise_id,
            borrower_id=borrower_id,
            loan_id=loan_id,
            amount_minor=money.minor,
            currency=currency,
            promised_on=today,
            due_on=due_on,
            cancelled_at=None,
            created_at=now,
        )
    )
    uow.audit(
        "case.promise",
        f"borrower:{borrower_id}",
        {
            "promise_id": promise_id,
            "loan_id": loan_id,
            "amount_minor": money.minor,
            "currency": currency,
            "due_on": due_on.isoformat(),
        },
    )
    return promise_id
