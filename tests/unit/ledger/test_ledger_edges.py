"""Ledger edges the suite never reached: the documented 600-month maximum term, and the date
filter of apply_payments (a payment on as_of counts, one a day later does not)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from faircollect.errors import InputError
from faircollect.ledger import Money, apply_payments
from faircollect.ledger.allocation import Payment
from faircollect.ledger.schedule import (
    MAX_TERM_MONTHS,
    LoanTerms,
    build_schedule,
    level_payment,
    rate_units,
)

FIRST = date(2026, 1, 31)


def terms(months: int, kind: str = "equal_installment") -> LoanTerms:
    return LoanTerms(principal=Money(250_000_00, "USD"), annual_rate=Decimal("0.0675"),
                     term_months=months, first_due_on=FIRST, kind=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["equal_installment", "equal_principal"])
def test_a_600_month_schedule_is_built_and_repays_the_principal(kind: str) -> None:
    assert MAX_TERM_MONTHS == 600
    s = build_schedule(terms(600, kind))
    assert [i.number for i in s] == list(range(1, 601))
    assert s[-1].due_on == date(2075, 12, 31)
    assert s[1].due_on == date(2026, 2, 28)  # clamped to month end, anchored on the 31st
    assert sum(i.principal.minor for i in s) == 250_000_00
    assert all(i.principal.minor >= 0 and i.interest.minor >= 0 for i in s)
    if kind == "equal_installment":
        pay = level_payment(250_000_00, rate_units(Decimal("0.0675")), 600)
        assert all(abs(i.principal.minor + i.interest.minor - pay) <= 1 for i in s[:-1])


@pytest.mark.parametrize("months", [0, 601])
def test_terms_outside_1_to_600_months_are_refused(months: int) -> None:
    with pytest.raises(InputError, match="term_months"):
        terms(months)


def test_one_month_is_accepted() -> None:
    (only,) = build_schedule(terms(1))
    assert only.principal.minor == 250_000_00


def usd(minor: int) -> Money:
    return Money(minor, "USD")


SCHEDULE = build_schedule(terms(12))
AS_OF = date(2026, 3, 15)
PAYMENTS = [Payment("p-late", AS_OF + timedelta(days=1), usd(500_00)),
            Payment("p-on", AS_OF, usd(300_00)),
            Payment("p-early", AS_OF - timedelta(days=30), usd(200_00))]


def paid(alloc: object) -> int:
    return sum(p.amount.minor for p in alloc.parts) + alloc.unallocated.minor  # type: ignore[attr-defined]


def test_apply_payments_counts_payments_on_or_before_as_of_only() -> None:
    assert paid(apply_payments(SCHEDULE, PAYMENTS, as_of=AS_OF)) == 500_00
    assert paid(apply_payments(SCHEDULE, PAYMENTS, as_of=AS_OF - timedelta(days=1))) == 200_00
    assert paid(apply_payments(SCHEDULE, PAYMENTS, as_of=AS_OF + timedelta(days=1))) == 1000_00
    assert paid(apply_payments(SCHEDULE, PAYMENTS)) == 1000_00  # no as_of: all of them
    assert paid(apply_payments(SCHEDULE, PAYMENTS, as_of=date(2025, 1, 1))) == 0


def test_apply_payments_takes_them_in_date_order() -> None:
    got = apply_payments(SCHEDULE, PAYMENTS, as_of=AS_OF)
    by_order = apply_payments(SCHEDULE, sorted(PAYMENTS[1:], key=lambda p: p.paid_on))
    assert got == by_order
