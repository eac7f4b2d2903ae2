"""Hypothesis strategies and builders shared by the ledger tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import strategies as st

from faircollect.ledger import Installment, LoanTerms, Money, Payment, build_schedule

CURRENCIES = ("USD", "JPY", "KWD", "CNY")
KINDS = ("equal_installment", "equal_principal", "bullet")


@dataclass(frozen=True)
class LoanCase:
    """A random loan as import would give it, plus its scalar terms."""

    loan_id: str
    principal: str
    currency: str
    annual_rate: str
    term_months: int
    disbursed_on: date
    first_due_on: date
    schedule: str

    @property
    def terms(self) -> LoanTerms:
        return LoanTerms.parse(
            principal=self.principal,
            currency=self.currency,
            annual_rate=self.annual_rate,
            term_months=self.term_months,
            first_due_on=self.first_due_on,
            kind=self.schedule,
            disbursed_on=self.disbursed_on,
        )

    @property
    def installments(self) -> tuple[Installment, ...]:
        return build_schedule(self.terms)


@st.composite
def loan_cases(draw: st.DrawFn, loan_id: str = "L1", max_term: int = 36) -> LoanCase:
    currency = draw(st.sampled_from(CURRENCIES))
    places = {"USD": 2, "JPY": 0, "KWD": 3, "CNY": 2}[currency]
    minor = draw(st.one_of(st.integers(1, 200), st.integers(1, 10**10)))
    principal = str(Decimal(minor).scaleb(-places))
    rate = draw(
        st.one_of(
            st.just(Decimal(0)),
            st.decimals(min_value=0, max_value=Decimal("1.2"), places=4),
            st.sampled_from([Decimal("0.18"), Decimal("0.24"), Decimal("0.0435"), Decimal("0.36")]),
        )
    )
    disbursed = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)))
    first_due = disbursed + timedelta(days=draw(st.integers(1, 62)))
    return LoanCase(
        loan_id=loan_id,
        principal=principal,
        currency=currency,
        annual_rate=str(rate),
        term_months=draw(st.integers(1, max_term)),
        disbursed_on=disbursed,
        first_due_on=first_due,
        schedule=draw(st.sampled_from(KINDS)),
    )


def loans_frame(cases: list[LoanCase]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "loan_id": [c.loan_id for c in cases],
            "principal": [c.principal for c in cases],
            "currency": [c.currency for c in cases],
            "annual_rate": [c.annual_rate for c in cases],
            "term_months": [c.term_months for c in cases],
            "disbursed_on": [c.disbursed_on for c in cases],
            "first_due_on": [c.first_due_on for c in cases],
            "schedule": [c.schedule for c in cases],
        },
        schema={
            "loan_id": pl.String,
            "principal": pl.String,
            "currency": pl.String,
            "annual_rate": pl.String,
            "term_months": pl.Int64,
            "disbursed_on": pl.Date,
            "first_due_on": pl.Date,
            "schedule": pl.String,
        },
    )


def installment(
    number: int,
    due_on: date,
    principal: int,
    interest: int = 0,
    fees: int = 0,
    currency: str = "USD",
) -> Installment:
    """An installment from minor-unit amounts."""
    return Installment(
        number=number,
        due_on=due_on,
        principal=Money(principal, currency),
        interest=Money(interest, currency),
        fees=Money(fees, currency),
    )


def payment(paid_on: date, minor: int, payment_id: str = "P1", currency: str = "USD") -> Payment:
    return Payment(payment_id, paid_on, Money(minor, currency))


def installments_frame(loans: dict[str, tuple[Installment, ...]]) -> pl.DataFrame:
    """The frame form of scalar installments, as schedule_frame lays it out."""
    rows = [
        {
            "loan_id": loan_id,
            "currency": i.principal.currency,
            "number": i.number,
            "due_on": i.due_on,
            "principal": i.principal.minor,
            "interest": i.interest.minor,
            "fees": i.fees.minor,
        }
        for loan_id, items in loans.items()
        for i in items
    ]
    return pl.DataFrame(
        rows,
        schema={
            "loan_id": pl.String,
            "currency": pl.String,
            "number": pl.Int32,
            "due_on": pl.Date,
            "principal": pl.Int64,
            "interest": pl.Int64,
            "fees": pl.Int64,
        },
    )
