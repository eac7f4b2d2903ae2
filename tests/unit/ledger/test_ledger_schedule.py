import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_strategies import LoanCase, loan_cases

from faircollect.errors import InputError
from faircollect.ledger import LoanTerms, Money, build_schedule
from faircollect.ledger.schedule import add_months, level_payment, rate_units


def terms(
    principal: str = "10000.00",
    rate: str = "0.12",
    months: int = 12,
    kind: str = "equal_installment",
    first_due: date = date(2024, 1, 31),
    currency: str = "USD",
) -> LoanTerms:
    return LoanTerms.parse(
        principal=principal,
        currency=currency,
        annual_rate=rate,
        term_months=months,
        first_due_on=first_due,
        kind=kind,
        disbursed_on=date(2023, 12, 31),
    )


def test_known_annuity_matches_the_hand_computed_payment() -> None:
    # 10,000.00 at 12 % a year for 12 months: r = 0.01,
    # payment = 10000 * 0.01 / (1 - 1.01 ** -12) = 888.4878867... -> 888.49.
    schedule = build_schedule(terms())
    first = schedule[0]
    assert first.total == Money(88849, "USD")
    assert first.interest == Money(10000, "USD")  # 1 % of 10,000.00
    assert first.principal == Money(78849, "USD")
    # Month 2 interest: 1 % of (10,000.00 - 788.49) = 92.1151 -> 92.12
    assert schedule[1].interest == Money(9212, "USD")
    assert all(i.total == Money(88849, "USD") for i in schedule[:-1])
    # The last installment takes the residue: it clears the principal exactly.
    assert schedule[-1].total == Money(88847, "USD")
    assert sum(i.principal.minor for i in schedule) == 1_000_000
    assert sum(i.interest.minor for i in schedule) == 11 * 88849 + 88847 - 1_000_000


def test_equal_principal_splits_evenly_and_charges_interest_on_the_rest() -> None:
    schedule = build_schedule(terms("1000.00", "0.12", 3, "equal_principal"))
    assert [i.principal.minor for i in schedule] == [33333, 33333, 33334]
    # 1 % of 1000.00, of 666.67 and of 333.34
    assert [i.interest.minor for i in schedule] == [1000, 667, 333]


def test_bullet_pays_interest_monthly_and_principal_at_the_end() -> None:
    schedule = build_schedule(terms("5000.00", "0.18", 6, "bullet", currency="CNY"))
    assert [i.interest.minor for i in schedule] == [7500] * 6
    assert [i.principal.minor for i in schedule] == [0] * 5 + [500000]


def test_zero_rate_loans_have_no_interest() -> None:
    for kind in ("equal_installment", "equal_principal", "bullet"):
        schedule = build_schedule(terms("100", "0", 3, kind, currency="JPY"))
        assert all(i.interest.minor == 0 for i in schedule)
        assert sum(i.principal.minor for i in schedule) == 100
    annuity = build_schedule(terms("100", "0", 3, currency="JPY"))
    assert [i.principal.minor for i in annuity] == [33, 33, 34]


def test_fees_start_at_zero() -> None:
    assert all(i.fees.minor == 0 for i in build_schedule(terms()))


def test_due_dates_clamp_to_month_end_and_return_to_the_anchor_day() -> None:
    schedule = build_schedule(terms(months=5, first_due=date(2024, 1, 31)))
    assert [i.due_on for i in schedule] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert [i.number for i in schedule] == [1, 2, 3, 4, 5]


def test_tiny_loans_never_schedule_negative_principal() -> None:
    # 0.05 over 12 months: rounding P/n up would overshoot the principal by month 6.
    for kind in ("equal_installment", "equal_principal"):
        schedule = build_schedule(terms("0.05", "0.36", 12, kind))
        assert all(i.principal.minor >= 0 for i in schedule)
        assert sum(i.principal.minor for i in schedule) == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"term_months": 0}, "term_months"),
        ({"term_months": 601}, "term_months"),
        ({"annual_rate": "-0.01"}, "annual_rate"),
        ({"annual_rate": "0.123456789"}, "annual_rate"),
        ({"annual_rate": "11"}, "annual_rate"),
        ({"annual_rate": 0.18}, "annual_rate"),
        ({"principal": "0"}, "principal"),
        ({"principal": "12.345"}, "principal"),
        ({"kind": "balloon"}, "schedule"),
        ({"first_due_on": date(2023, 12, 31)}, "first_due_on"),
    ],
)
def test_bad_terms_are_input_errors_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "principal": "100.00",
        "currency": "USD",
        "annual_rate": "0.18",
        "term_months": 12,
        "first_due_on": date(2024, 1, 31),
        "kind": "equal_installment",
        "disbursed_on": date(2023, 12, 31),
    }
    values.update(changes)
    with pytest.raises(InputError) as caught:
        LoanTerms.parse(**values)  # type: ignore[arg-type]
    assert caught.value.fields["field"] == field


def test_empty_schedule_kind_means_equal_installment() -> None:
    loan = LoanTerms.parse(
        principal="1",
        currency="USD",
        annual_rate="0",
        term_months=1,
        first_due_on=date(2024, 1, 1),
        kind="",
    )
    assert loan.kind == "equal_installment"


@settings(max_examples=300, deadline=None)
@given(loan_cases())
def test_principal_sums_to_the_loan_principal_to_the_minor_unit(case: LoanCase) -> None:
    schedule = case.installments
    principal = Money.parse(case.principal, case.currency)
    assert len(schedule) == case.term_months
    assert sum(i.principal.minor for i in schedule) == principal.minor
    assert all(i.principal.minor >= 0 and i.interest.minor >= 0 for i in schedule)
    assert [i.due_on for i in schedule] == sorted(i.due_on for i in schedule)
    if case.schedule == "bullet":
        assert all(i.principal.minor == 0 for i in schedule[:-1])


@settings(max_examples=300, deadline=None)
@given(
    principal=st.integers(1, 10**12),
    rate=st.decimals(min_value=0, max_value=Decimal(10), places=8),
    months=st.integers(1, 480),
)
def test_level_payment_is_the_exact_annuity_rounded_half_up(
    principal: int, rate: Decimal, months: int
) -> None:
    # Reference in exact rational arithmetic: an exact half (1,000,000,000 at 0.00000207 for
    # one month is 1,000,000,172.5) must round up, which no fixed Decimal precision promises.
    r = Fraction(rate) / 12
    exact = Fraction(principal, months) if r == 0 else principal * r / (1 - (1 + r) ** -months)
    expected = math.floor(exact + Fraction(1, 2))
    assert level_payment(principal, rate_units(rate), months) == expected
