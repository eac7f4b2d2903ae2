from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_strategies import installment, payment

from faircollect.errors import InputError
from faircollect.ledger import (
    PRINCIPAL_FIRST,
    AllocationOrder,
    InstallmentBalance,
    Money,
    allocate,
    apply_payments,
)

JAN, FEB, MAR = date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)


def open_balances() -> list[InstallmentBalance]:
    # Each installment: fees 5.00, interest 10.00, principal 100.00 -> 115.00.
    return [
        InstallmentBalance.unpaid(installment(n, due, 10000, 1000, 500))
        for n, due in ((1, JAN), (2, FEB), (3, MAR))
    ]


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def test_default_order_pays_fees_then_interest_then_principal() -> None:
    result = allocate(open_balances(), usd(1200))
    first = result.balances[0]
    assert (first.paid_fees, first.paid_interest, first.paid_principal) == (
        usd(500),
        usd(700),
        usd(0),
    )
    assert first.status == "partially_paid"
    assert result.balances[1].status == "unpaid"
    assert [(p.number, p.component, p.amount) for p in result.parts] == [
        (1, "fees", usd(500)),
        (1, "interest", usd(700)),
    ]
    assert result.unallocated == usd(0)


def test_principal_first_order_is_configurable() -> None:
    result = allocate(open_balances(), usd(10200), PRINCIPAL_FIRST)
    first = result.balances[0]
    assert (first.paid_principal, first.paid_interest, first.paid_fees) == (
        usd(10000),
        usd(200),
        usd(0),
    )
    assert first.outstanding_principal == usd(0)
    assert first.outstanding == usd(1300)


def test_oldest_installment_is_settled_before_the_next_one() -> None:
    result = allocate(open_balances(), usd(11500 + 600))
    assert [b.status for b in result.balances] == ["paid", "partially_paid", "unpaid"]
    second = result.balances[1]
    assert (second.paid_fees, second.paid_interest) == (usd(500), usd(100))


def test_balances_are_taken_oldest_first_whatever_order_they_come_in() -> None:
    shuffled = list(reversed(open_balances()))
    result = allocate(shuffled, usd(11500))
    assert [b.installment.number for b in result.balances] == [1, 2, 3]
    assert result.balances[0].status == "paid"


def test_overpayment_is_returned_unallocated() -> None:
    result = allocate(open_balances(), usd(3 * 11500 + 123))
    assert all(b.status == "paid" for b in result.balances)
    assert result.unallocated == usd(123)


def test_zero_payment_changes_nothing() -> None:
    result = allocate(open_balances(), usd(0))
    assert all(b.status == "unpaid" for b in result.balances)
    assert result.parts == ()


def test_negative_amounts_and_bad_orders_are_refused() -> None:
    with pytest.raises(InputError):
        allocate(open_balances(), usd(-1))
    with pytest.raises(InputError):
        payment(JAN, -1)
    with pytest.raises(InputError, match="allocation order"):
        AllocationOrder(("fees", "interest"))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        AllocationOrder(("fees", "fees", "principal"))  # type: ignore[arg-type]


def test_apply_payments_uses_only_payments_up_to_as_of_in_date_order() -> None:
    items = [b.installment for b in open_balances()]
    payments = [payment(MAR, 11500, "late"), payment(JAN, 11500, "early")]
    before = apply_payments(items, payments, as_of=FEB)
    assert [b.status for b in before.balances] == ["paid", "unpaid", "unpaid"]
    everything = apply_payments(items, payments)
    assert [b.status for b in everything.balances] == ["paid", "paid", "unpaid"]


def test_overpayment_remainders_add_up() -> None:
    items = [installment(1, JAN, 1000)]
    result = apply_payments(items, [payment(JAN, 1500, "a"), payment(FEB, 200, "b")])
    assert result.unallocated == usd(700)


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.integers(0, 20000), max_size=6),
    order=st.permutations(["fees", "interest", "principal"]),
)
def test_paying_in_parts_equals_paying_the_sum(amounts: list[int], order: list[str]) -> None:
    # The vectorised snapshot depends on this: allocation is additive.
    chosen = AllocationOrder(tuple(order))  # type: ignore[arg-type]
    balances: list[InstallmentBalance] = open_balances()
    remainder = usd(0)
    for amount in amounts:
        step = allocate(balances, usd(amount), chosen)
        balances = list(step.balances)
        remainder = remainder + step.unallocated
    once = allocate(open_balances(), usd(sum(amounts)), chosen)
    assert tuple(balances) == once.balances
    assert remainder == once.unallocated
    paid = sum(b.paid_total.minor for b in balances)
    assert paid + remainder.minor == sum(amounts)
