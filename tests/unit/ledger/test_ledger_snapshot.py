from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_strategies import LoanCase, installment, installments_frame, loan_cases

from faircollect.errors import InputError
from faircollect.ledger import (
    DEFAULT_ORDER,
    PRINCIPAL_FIRST,
    AllocationOrder,
    Buckets,
    LoanStatus,
    Money,
    Payment,
    loan_status,
    roll_rate_matrix,
    roll_rates,
    snapshot,
)

DUE = date(2024, 3, 15)
PAYMENT_SCHEMA = {"loan_id": pl.String, "paid_on": pl.Date, "amount": pl.Int64}


def three_installments(loan_id: str = "A") -> pl.DataFrame:
    items = tuple(installment(n, DUE + timedelta(days=30 * (n - 1)), 10000, 100) for n in (1, 2, 3))
    return installments_frame({loan_id: items})


def test_snapshot_of_one_loan() -> None:
    payments = pl.DataFrame(
        {
            "loan_id": ["A", "A", "A"],
            "paid_on": [DUE, DUE, DUE + timedelta(days=90)],
            "amount": [10000, 150, 99999],
        },
        schema=PAYMENT_SCHEMA,
    )
    row = snapshot(three_installments(), payments, DUE + timedelta(days=40)).row(0, named=True)
    assert row == {
        "loan_id": "A",
        "currency": "USD",
        # 10,100 settles installment 1; the other 50 pays part of installment 2's interest.
        "outstanding_principal": 20000,
        "overdue_amount": 10100 - 50,
        "paid_to_date": 10150,
        "unallocated": 0,
        "days_past_due": 10,
        "bucket": "M1",
        "next_due_on": DUE + timedelta(days=60),
        "installments_overdue": 1,
    }


def test_loans_without_payments_and_payments_without_loans() -> None:
    installments = pl.concat([three_installments("A"), three_installments("B")])
    payments = pl.DataFrame(
        {"loan_id": ["B", "Z"], "paid_on": [DUE, DUE], "amount": [30300, 5]}, schema=PAYMENT_SCHEMA
    )
    result = snapshot(installments, payments, DUE + timedelta(days=200))
    assert result["loan_id"].to_list() == ["A", "B"]
    assert result["days_past_due"].to_list() == [200, 0]
    assert result["bucket"].cast(pl.String).to_list() == ["WO", "M0"]
    assert result["outstanding_principal"].to_list() == [30000, 0]
    assert result["next_due_on"].to_list() == [None, None]


def test_decimal_payment_amounts_use_the_loan_currency() -> None:
    payments = pl.DataFrame({"loan_id": ["A"], "paid_on": ["2024-03-15"], "amount": ["101.00"]})
    result = snapshot(three_installments(), payments, DUE + timedelta(days=1))
    assert result["paid_to_date"].item() == 10100
    assert result["days_past_due"].item() == 0


def test_grace_and_custom_buckets() -> None:
    buckets = Buckets.of([("current", 0), ("late", 10), ("very late", None)])
    empty = pl.DataFrame(schema=PAYMENT_SCHEMA)
    within = snapshot(three_installments(), empty, DUE + timedelta(days=3), grace_days=3)
    assert within["days_past_due"].item() == 0
    result = snapshot(three_installments(), empty, DUE + timedelta(days=4), 3, buckets)
    assert result["days_past_due"].item() == 4
    assert result["bucket"].dtype == pl.Enum(["current", "late", "very late"])
    assert result["bucket"].cast(pl.String).item() == "late"


def test_installments_in_any_row_order_give_the_same_snapshot() -> None:
    installments = pl.concat([three_installments("B"), three_installments("A")])
    payments = pl.DataFrame(
        {"loan_id": ["A", "B"], "paid_on": [DUE, DUE], "amount": [10100, 200]},
        schema=PAYMENT_SCHEMA,
    )
    as_of = DUE + timedelta(days=35)
    ordered = snapshot(installments, payments, as_of).sort("loan_id")
    shuffled = snapshot(installments.sample(fraction=1.0, shuffle=True, seed=3), payments, as_of)
    assert shuffled.sort("loan_id").equals(ordered)
    lazy = snapshot(installments.lazy(), payments.lazy(), as_of).sort("loan_id")
    assert lazy.equals(ordered)


def test_bad_input_is_refused() -> None:
    empty = pl.DataFrame(schema=PAYMENT_SCHEMA)
    with pytest.raises(InputError, match="missing"):
        snapshot(three_installments().drop("fees"), empty, DUE)
    with pytest.raises(InputError, match="twice"):
        snapshot(pl.concat([three_installments(), three_installments().head(1)]), empty, DUE)
    negative = pl.DataFrame(
        {"loan_id": ["A"], "paid_on": [DUE], "amount": [-1]}, schema=PAYMENT_SCHEMA
    )
    with pytest.raises(InputError, match="negative"):
        snapshot(three_installments(), negative, DUE)
    floats = pl.DataFrame({"loan_id": ["A"], "paid_on": [DUE], "amount": [1.5]})
    with pytest.raises(InputError, match="amount"):
        snapshot(three_installments(), floats, DUE)
    with pytest.raises(InputError, match="grace"):
        snapshot(three_installments(), empty, DUE, grace_days=-1)
    with pytest.raises(InputError, match="as_of"):
        snapshot(three_installments(), empty, "2024-03-15")  # type: ignore[arg-type]


# -- scalar versus vectorised --------------------------------------------------------------


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[list[LoanCase], list[tuple[str, Payment]]]:
    count = draw(st.integers(1, 5))
    cases = [draw(loan_cases(loan_id=f"L{i}", max_term=14)) for i in range(count)]
    payments: list[tuple[str, Payment]] = []
    for case in cases:
        schedule = case.installments
        typical = max(i.total.minor for i in schedule)
        for n in range(draw(st.integers(0, 6))):
            amount = draw(
                st.one_of(
                    st.sampled_from([i.total.minor for i in schedule]),  # exact installments
                    st.integers(0, 2 * typical + 1),
                    st.just(1),
                )
            )
            paid_on = case.first_due_on + timedelta(days=draw(st.integers(-40, 500)))
            money = Money(amount, case.currency)
            payments.append((case.loan_id, Payment(f"{case.loan_id}-{n}", paid_on, money)))
    return cases, payments


def _frame_payments(payments: list[tuple[str, Payment]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "loan_id": [loan for loan, _ in payments],
            "paid_on": [p.paid_on for _, p in payments],
            "amount": [p.amount.minor for _, p in payments],
        },
        schema=PAYMENT_SCHEMA,
    )


def _as_row(loan_id: str, currency: str, status: LoanStatus) -> dict[str, object]:
    return {
        "loan_id": loan_id,
        "currency": currency,
        "outstanding_principal": status.outstanding_principal.minor,
        "overdue_amount": status.overdue_amount.minor,
        "paid_to_date": status.paid_to_date.minor,
        "unallocated": status.unallocated.minor,
        "days_past_due": status.days_past_due,
        "bucket": status.bucket,
        "next_due_on": status.next_due_on,
        "installments_overdue": status.installments_overdue,
    }


def _scalar(
    cases: list[LoanCase],
    payments: list[tuple[str, Payment]],
    as_of: date,
    grace: int,
    order: AllocationOrder,
) -> dict[str, LoanStatus]:
    return {
        case.loan_id: loan_status(
            case.installments,
            [p for loan, p in payments if loan == case.loan_id],
            as_of,
            grace,
            order=order,
        )
        for case in cases
    }


@settings(max_examples=250, deadline=None)
@given(
    portfolio=portfolios(),
    offset=st.integers(-30, 600),
    grace=st.sampled_from([0, 0, 3, 10]),
    order=st.sampled_from([DEFAULT_ORDER, PRINCIPAL_FIRST]),
)
def test_vectorised_snapshot_equals_the_scalar_allocator(
    portfolio: tuple[list[LoanCase], list[tuple[str, Payment]]],
    offset: int,
    grace: int,
    order: AllocationOrder,
) -> None:
    cases, payments = portfolio
    as_of = cases[0].first_due_on + timedelta(days=offset)
    installments = installments_frame({c.loan_id: c.installments for c in cases})
    result = snapshot(installments, _frame_payments(payments), as_of, grace, order=order)
    got = result.with_columns(pl.col("bucket").cast(pl.String)).to_dicts()
    scalar = _scalar(cases, payments, as_of, grace, order)
    expected = [_as_row(c.loan_id, c.currency, scalar[c.loan_id]) for c in cases]
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(portfolio=portfolios(), first=st.integers(0, 200), gap=st.integers(1, 120))
def test_vectorised_roll_rates_equal_the_scalar_matrix(
    portfolio: tuple[list[LoanCase], list[tuple[str, Payment]]], first: int, gap: int
) -> None:
    cases, payments = portfolio
    currency = cases[0].currency
    cases = [c for c in cases if c.currency == currency]  # one matrix, one currency
    kept = [(loan, p) for loan, p in payments if any(c.loan_id == loan for c in cases)]
    installments = installments_frame({c.loan_id: c.installments for c in cases})
    day_a = cases[0].first_due_on + timedelta(days=first)
    day_b = day_a + timedelta(days=gap)
    frame_a = snapshot(installments, _frame_payments(kept), day_a)
    frame_b = snapshot(installments, _frame_payments(kept), day_b)
    got = roll_rates(frame_a, frame_b).with_columns(
        pl.col("from_bucket", "to_bucket").cast(pl.String)
    )
    scalar_a = _scalar(cases, kept, day_a, 0, DEFAULT_ORDER)
    scalar_b = _scalar(cases, kept, day_b, 0, DEFAULT_ORDER)
    assert got.to_dicts() == roll_rate_matrix(scalar_a, scalar_b).rows()
