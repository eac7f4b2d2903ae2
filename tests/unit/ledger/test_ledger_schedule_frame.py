from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_strategies import LoanCase, installments_frame, loan_cases, loans_frame

from faircollect.errors import InputError
from faircollect.ledger import schedule_frame


def one_loan(**changes: object) -> pl.DataFrame:
    values: dict[str, object] = {
        "loan_id": "A",
        "principal": "10000.00",
        "currency": "USD",
        "annual_rate": "0.12",
        "term_months": 12,
        "disbursed_on": date(2023, 12, 31),
        "first_due_on": date(2024, 1, 31),
        "schedule": "equal_installment",
    }
    values.update(changes)
    return pl.DataFrame({k: [v] for k, v in values.items()})


def test_columns_and_known_annuity() -> None:
    frame = schedule_frame(one_loan())
    assert frame.columns == [
        "loan_id",
        "currency",
        "number",
        "due_on",
        "principal",
        "interest",
        "fees",
        "total",
    ]
    assert frame.height == 12
    assert frame["total"].to_list() == [88849] * 11 + [88847]
    assert frame["principal"].sum() == 1_000_000
    assert frame["due_on"][1] == date(2024, 2, 29)
    assert frame["due_on"][2] == date(2024, 3, 31)


def test_text_dates_decimal_principal_and_default_kind() -> None:
    loans = one_loan(
        principal=Decimal("10000.00"),
        first_due_on="2024-01-31",
        disbursed_on="2023-12-31",
        schedule=None,
    ).with_columns(pl.col("schedule").cast(pl.String))
    assert schedule_frame(loans).equals(schedule_frame(one_loan()))
    without_kind = one_loan().drop("schedule")
    assert schedule_frame(without_kind).equals(schedule_frame(one_loan()))


def test_a_payment_exactly_on_a_half_unit_rounds_up() -> None:
    # 1 yen over 2 months at 0 %: the level payment is exactly 0.5 yen -> 1.
    frame = schedule_frame(one_loan(principal="1", currency="JPY", annual_rate="0", term_months=2))
    assert frame["principal"].to_list() == [1, 0]


def test_float_error_at_a_half_unit_does_not_change_the_payment() -> None:
    # 147 yen over 98 months is exactly 1.5 yen a month, but 147 * (1 / 98) in float64 is
    # 1.4999999999999998: the exact recomputation must still round it up to 2.
    loan = one_loan(principal="147", currency="JPY", annual_rate="0", term_months=98)
    frame = schedule_frame(loan)
    assert frame["principal"][0] == 2
    assert frame["principal"].sum() == 147


def test_empty_loans_give_an_empty_frame() -> None:
    frame = schedule_frame(one_loan().clear())
    assert frame.height == 0
    assert frame.schema["principal"] == pl.Int64


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"principal": 10000.0}, "principal"),
        ({"principal": "10,000"}, "principal"),
        ({"principal": "10.001"}, "principal"),
        ({"principal": "0"}, "principal"),
        ({"currency": "XYZ"}, "currency"),
        ({"annual_rate": "0.123456789"}, "annual_rate"),
        ({"annual_rate": "12"}, "annual_rate"),
        ({"annual_rate": 0.12}, "annual_rate"),
        ({"term_months": 0}, "term_months"),
        ({"first_due_on": date(2023, 12, 1)}, "first_due_on"),
        ({"first_due_on": "2024-02-30"}, "first_due_on"),
        ({"schedule": "balloon"}, "schedule"),
    ],
)
def test_bad_loans_name_the_loan_and_column(changes: dict[str, object], column: str) -> None:
    with pytest.raises(InputError) as caught:
        schedule_frame(one_loan(loan_id="bad", **changes))
    assert caught.value.fields["field"] == column
    assert "bad" in str(caught.value)


def test_the_first_bad_row_is_reported() -> None:
    loans = pl.concat(
        [
            one_loan(loan_id="ok"),
            one_loan(loan_id="short", principal="1.005"),
            one_loan(loan_id="x"),
        ]
    )
    with pytest.raises(InputError, match="short: principal '1.005'"):
        schedule_frame(loans)


def test_missing_columns_are_named() -> None:
    with pytest.raises(InputError, match="first_due_on"):
        schedule_frame(one_loan().drop("first_due_on"))


@settings(max_examples=200, deadline=None)
@given(st.lists(loan_cases(max_term=60), min_size=1, max_size=6))
def test_schedule_frame_equals_the_scalar_schedule_to_the_minor_unit(cases: list[LoanCase]) -> None:
    cases = [
        LoanCase(
            f"L{i}",
            c.principal,
            c.currency,
            c.annual_rate,
            c.term_months,
            c.disbursed_on,
            c.first_due_on,
            c.schedule,
        )
        for i, c in enumerate(cases)
    ]
    frame = schedule_frame(loans_frame(cases))
    expected = installments_frame({c.loan_id: c.installments for c in cases})
    assert frame.drop("total").equals(expected)
    assert frame["total"].to_list() == [i.total.minor for c in cases for i in c.installments]
