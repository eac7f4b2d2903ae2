from datetime import date, timedelta

import pytest
from ledger_strategies import installment, payment

from faircollect.errors import InputError
from faircollect.ledger import (
    DEFAULT_BUCKETS,
    Buckets,
    InstallmentBalance,
    Money,
    apply_payments,
    days_past_due,
    loan_status,
)

DUE = date(2024, 3, 15)


def one_installment() -> list[InstallmentBalance]:
    return [InstallmentBalance.unpaid(installment(1, DUE, 10000, 200))]


@pytest.mark.parametrize(
    ("late", "bucket"),
    [
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (90, "M3"),
        (91, "M4"),
        (180, "M4"),
        (181, "WO"),
    ],
)
def test_dpd_and_bucket_edges(late: int, bucket: str) -> None:
    as_of = DUE + timedelta(days=late)
    dpd = days_past_due(one_installment(), as_of)
    assert dpd == late
    assert DEFAULT_BUCKETS.bucket_of(dpd) == bucket


def test_not_yet_due_is_current() -> None:
    assert days_past_due(one_installment(), DUE - timedelta(days=10)) == 0


def test_grace_suppresses_the_count_but_does_not_shift_it() -> None:
    balances = one_installment()
    assert days_past_due(balances, DUE + timedelta(days=5), grace_days=5) == 0
    assert days_past_due(balances, DUE + timedelta(days=6), grace_days=5) == 6
    assert days_past_due(balances, DUE + timedelta(days=31), grace_days=5) == 31


def test_negative_grace_is_refused() -> None:
    with pytest.raises(InputError, match="grace"):
        days_past_due(one_installment(), DUE, grace_days=-1)


def test_dpd_counts_from_the_oldest_unpaid_installment() -> None:
    items = [installment(n, DUE + timedelta(days=30 * (n - 1)), 10000) for n in (1, 2, 3)]
    as_of = DUE + timedelta(days=75)
    unpaid = apply_payments(items, [])
    assert days_past_due(unpaid.balances, as_of) == 75
    first_paid = apply_payments(items, [payment(DUE, 10000)])
    assert days_past_due(first_paid.balances, as_of) == 45
    # One cent short keeps the first installment unpaid.
    short = apply_payments(items, [payment(DUE, 9999)])
    assert days_past_due(short.balances, as_of) == 75
    assert short.balances[0].status == "partially_paid"


def test_loan_status_describes_the_loan() -> None:
    items = [
        installment(n, DUE + timedelta(days=30 * (n - 1)), 10000, 100, fees=50 if n == 1 else 0)
        for n in (1, 2, 3)
    ]
    payments = [payment(DUE, 10150, "a"), payment(DUE + timedelta(days=5), 50, "b")]
    status = loan_status(items, payments, as_of=DUE + timedelta(days=40))
    usd = lambda minor: Money(minor, "USD")  # noqa: E731
    assert status.paid_to_date == usd(10200)
    # Installment 1 paid; 50 went to installment 2's interest (100 due).
    assert status.outstanding_principal == usd(20000)
    assert status.overdue_amount == usd(10050)
    assert status.installments_overdue == 1
    assert status.days_past_due == 10
    assert status.bucket == "M1"
    assert status.next_due_on == DUE + timedelta(days=60)
    assert status.unallocated == usd(0)


def test_loan_status_ignores_payments_after_as_of_and_reports_overpayment() -> None:
    items = [installment(1, DUE, 10000)]
    later = loan_status(
        items, [payment(DUE + timedelta(days=3), 10000)], as_of=DUE + timedelta(days=2)
    )
    assert later.days_past_due == 2
    assert later.paid_to_date == Money(0, "USD")
    over = loan_status(items, [payment(DUE, 12000)], as_of=DUE + timedelta(days=2))
    assert over.unallocated == Money(2000, "USD")
    assert over.days_past_due == 0
    assert over.next_due_on is None


def test_custom_buckets_are_a_value() -> None:
    buckets = Buckets.of([("C", 0), ("S1", 7), ("S2", 15), ("M1+", None)])
    assert [buckets.bucket_of(d) for d in (0, 1, 7, 8, 15, 16, 400)] == [
        "C",
        "S1",
        "S1",
        "S2",
        "S2",
        "M1+",
        "M1+",
    ]
    assert buckets.names == ("C", "S1", "S2", "M1+")
    assert Buckets.of([("all", None)]).bucket_of(99) == "all"


@pytest.mark.parametrize(
    "bands",
    [
        [],
        [("M0", 0), ("M1", 30)],  # last band not open
        [("M0", 0), ("M1", 30), ("M2", 30), ("WO", None)],  # not increasing
        [("M0", -1), ("WO", None)],
        [("M0", 0), ("M0", 30), ("WO", None)],  # duplicate name
        [("M0", 0), ("M1", None), ("WO", None)],  # open band in the middle
    ],
)
def test_bad_buckets_are_refused(bands: list[tuple[str, int | None]]) -> None:
    with pytest.raises(InputError, match="buckets"):
        Buckets.of(bands)
