"""Repayment schedules: equal installment (annuity), equal principal and bullet.

The arithmetic, shared exactly by the scalar builder here and the vectorised
`schedule_frame`, is in integer minor units:

* Interest for a month is ``annual_rate / 12`` times the principal outstanding at the start
  of that month, rounded half up to the minor unit. The first month counts as a whole month
  whatever the days between disbursement and the first due date (no broken-period interest).
* Equal installment: the level payment ``P * r / (1 - (1 + r) ** -n)`` with ``r = rate / 12``
  is computed as an exact fraction and rounded half up; each month's principal is the
  payment less that month's interest. With a zero rate the payment is ``P / n``.
* Equal principal: ``P / n`` rounded half up each month, plus that month's interest.
* Bullet: interest only each month, the whole principal with the last installment.
* Principal never exceeds what is outstanding (tiny loans where rounding would overshoot),
  and the last installment takes whatever principal is left, so the principal column sums
  to the loan's principal exactly; the rounding residue lands in the last installment.
* Due dates: ``first_due_on`` then monthly on the same day of the month; a day the month
  lacks is clamped to its last day, and later months return to the anchor day
  (Jan 31 -> Feb 29 -> Mar 31).
* Fees are zero in a fresh schedule; the field exists for fees charged later.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal, get_args

from faircollect.errors import InputError
from faircollect.ledger.money import Money, div_round_half_up, parse_decimal

ScheduleKind = Literal["equal_installment", "equal_principal", "bullet"]
SCHEDULE_KINDS: Final[tuple[str, ...]] = get_args(ScheduleKind)

# Annual rates are held as integers in units of 1e-8 (0.18 -> 18_000_000), so the monthly
# interest is an exact integer division by 12e8. Eight places cover any quoted rate.
RATE_SCALE: Final = 10**8
MONTHLY_DENOMINATOR: Final = 12 * RATE_SCALE
# 1000 % a year: beyond anything lawful, and it keeps the vectorised products inside int64.
MAX_RATE_UNITS: Final = 10 * RATE_SCALE
MAX_TERM_MONTHS: Final = 600


def rate_units(annual_rate: object, *, field: str = "annual_rate") -> int:
    """Parse an annual rate (decimal string or Decimal, 0.18 = 18 %) into 1e-8 units."""
    rate = parse_decimal(annual_rate, field=field)
    scaled = rate.scaleb(8)
    if scaled != scaled.to_integral_value():
        raise InputError(f"{field}: {annual_rate} has more than 8 decimal places", field=field)
    units = int(scaled)
    if not 0 <= units <= MAX_RATE_UNITS:
        raise InputError(f"{field}: {annual_rate} is outside 0 to 10 (1000 %)", field=field)
    return units


def monthly_interest(outstanding: int, rate: int) -> int:
    """One month's interest on `outstanding` minor units at `rate` (1e-8 annual units)."""
    return div_round_half_up(outstanding * rate, MONTHLY_DENOMINATOR)


def annuity_factor(rate: int, term_months: int) -> Fraction:
    """The exact level-payment factor ``r / (1 - (1 + r) ** -n)``, with r the monthly rate."""
    if rate == 0:
        return Fraction(1, term_months)
    growth = Fraction(MONTHLY_DENOMINATOR + rate, MONTHLY_DENOMINATOR) ** term_months
    return Fraction(rate, MONTHLY_DENOMINATOR) * growth / (growth - 1)


def level_payment(principal: int, rate: int, term_months: int) -> int:
    """The equal-installment payment in minor units, rounded half up."""
    factor = annuity_factor(rate, term_months)
    return div_round_half_up(principal * factor.numerator, factor.denominator)


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by whole months, clamped to month end, keeping the anchor's day."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def split_principal(
    kind: ScheduleKind, principal: int, rate: int, term_months: int
) -> list[tuple[int, int]]:
    """(principal, interest) in minor units for each month of a schedule."""
    payment = level_payment(principal, rate, term_months) if kind == "equal_installment" else 0
    level_principal = div_round_half_up(principal, term_months)
    outstanding = principal
    parts: list[tuple[int, int]] = []
    for number in range(1, term_months + 1):
        interest = monthly_interest(outstanding, rate)
        if number == term_months:
            paid = outstanding
        elif kind == "equal_installment":
            paid = min(max(payment - interest, 0), outstanding)
        elif kind == "equal_principal":
            paid = min(level_principal, outstanding)
        else:
            paid = 0
        parts.append((paid, interest))
        outstanding -= paid
    return parts


@dataclass(frozen=True, slots=True)
class Installment:
    """One scheduled installment; `fees` is zero until fees are charged."""

    number: int
    due_on: date
    principal: Money
    interest: Money
    fees: Money

    @property
    def total(self) -> Money:
        """Fees plus interest plus principal."""
        return self.fees + self.interest + self.principal


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """The contractual terms a schedule is built from."""

    principal: Money
    annual_rate: Decimal
    term_months: int
    first_due_on: date
    kind: ScheduleKind = "equal_installment"
    disbursed_on: date | None = None

    def __post_init__(self) -> None:
        if self.principal.minor <= 0:
            raise InputError("principal: must be positive", field="principal")
        rate_units(self.annual_rate)
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise InputError(
                f"term_months: {self.term_months} is outside 1 to {MAX_TERM_MONTHS}",
                field="term_months",
            )
        if self.kind not in SCHEDULE_KINDS:
            raise InputError(f"schedule: unknown kind {self.kind!r}", field="schedule")
        if self.disbursed_on is not None and self.first_due_on <= self.disbursed_on:
            raise InputError("first_due_on: must fall after disbursed_on", field="first_due_on")

    @classmethod
    def parse(
        cls,
        *,
        principal: object,
        currency: str,
        annual_rate: object,
        term_months: int,
        first_due_on: date,
        kind: str | None = None,
        disbursed_on: date | None = None,
    ) -> LoanTerms:
        """Build terms from import-style values (decimal strings, "" kind = default)."""
        chosen = kind or "equal_installment"
        if chosen not in SCHEDULE_KINDS:
            raise InputError(f"schedule: unknown kind {chosen!r}", field="schedule")
        return cls(
            principal=Money.parse(principal, currency, field="principal"),
            annual_rate=parse_decimal(annual_rate, field="annual_rate"),
            term_months=term_months,
            first_due_on=first_due_on,
            kind=chosen,  # type: ignore[arg-type]  # checked against SCHEDULE_KINDS above
            disbursed_on=disbursed_on,
        )


def build_schedule(terms: LoanTerms) -> tuple[Installment, ...]:
    """Return the installments of a loan, oldest first, numbered from 1."""
    currency = terms.principal.currency
    rate = rate_units(terms.annual_rate)
    parts = split_principal(terms.kind, terms.principal.minor, rate, terms.term_months)
    return tuple(
        Installment(
            number=number,
            due_on=add_months(terms.first_due_on, number - 1),
            principal=Money(principal, currency),
            interest=Money(interest, currency),
            fees=Money.zero(currency),
        )
        for number, (principal, interest) in enumerate(parts, start=1)
    )
