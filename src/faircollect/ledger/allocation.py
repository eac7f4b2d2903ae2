"""Payment allocation: which installment components a payment pays off.

A payment is spread over the installments oldest first. Within each installment it goes to
the components in the product's order (by default fees, then interest, then principal) and
moves to the next installment only when the current one is fully paid. Installments not yet
due are paid ahead in the same way; whatever is left after the last installment is returned
as the unallocated remainder (an overpayment to refund or hold as credit).

Because the order of installments is fixed and never depends on payment dates, allocating
several payments one by one gives the same balances as allocating their sum once; the
vectorised snapshot relies on that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, Literal, get_args

from faircollect.errors import InputError
from faircollect.ledger.money import Money
from faircollect.ledger.schedule import Installment

Component = Literal["fees", "interest", "principal"]
COMPONENTS: Final[tuple[Component, ...]] = get_args(Component)
InstallmentStatus = Literal["paid", "partially_paid", "unpaid"]


@dataclass(frozen=True, slots=True)
class AllocationOrder:
    """The order in which a product's payments pay the components of each installment."""

    components: tuple[Component, ...] = ("fees", "interest", "principal")

    def __post_init__(self) -> None:
        if sorted(self.components) != sorted(COMPONENTS):
            raise InputError(
                f"allocation order must name each of {', '.join(COMPONENTS)} once",
                field="allocation_order",
            )


DEFAULT_ORDER: Final = AllocationOrder()
PRINCIPAL_FIRST: Final = AllocationOrder(("principal", "interest", "fees"))


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received for a loan on a date."""

    payment_id: str
    paid_on: date
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.minor < 0:
            raise InputError("amount: a payment cannot be negative", field="amount")


@dataclass(frozen=True, slots=True)
class InstallmentBalance:
    """An installment with what has been paid against each of its components."""

    installment: Installment
    paid_fees: Money
    paid_interest: Money
    paid_principal: Money

    @classmethod
    def unpaid(cls, installment: Installment) -> InstallmentBalance:
        """The balance of an installment nothing has been paid against."""
        zero = Money.zero(installment.principal.currency)
        return cls(installment, zero, zero, zero)

    def due(self, component: Component) -> Money:
        """The scheduled amount of one component."""
        return getattr(self.installment, component)  # type: ignore[no-any-return]

    def paid(self, component: Component) -> Money:
        """What has been paid against one component."""
        return getattr(self, f"paid_{component}")  # type: ignore[no-any-return]

    @property
    def paid_total(self) -> Money:
        """Everything paid against this installment."""
        return self.paid_fees + self.paid_interest + self.paid_principal

    @property
    def outstanding(self) -> Money:
        """What is still owed on this installment."""
        return self.installment.total - self.paid_total

    @property
    def outstanding_principal(self) -> Money:
        """Principal of this installment still owed."""
        return self.installment.principal - self.paid_principal

    @property
    def status(self) -> InstallmentStatus:
        """paid, partially_paid or unpaid."""
        if self.outstanding.minor == 0:
            return "paid"
        return "partially_paid" if self.paid_total.minor > 0 else "unpaid"


@dataclass(frozen=True, slots=True)
class AllocatedPart:
    """One slice of a payment: how much went to which component of which installment."""

    number: int
    component: Component
    amount: Money


@dataclass(frozen=True, slots=True)
class Allocation:
    """Installment balances after allocating, the slices applied and the remainder."""

    balances: tuple[InstallmentBalance, ...]
    parts: tuple[AllocatedPart, ...]
    unallocated: Money


def _pay(balance: InstallmentBalance, component: Component, amount: Money) -> InstallmentBalance:
    paid = balance.paid(component) + amount
    if component == "fees":
        return replace(balance, paid_fees=paid)
    if component == "interest":
        return replace(balance, paid_interest=paid)
    return replace(balance, paid_principal=paid)


def allocate(
    balances: Sequence[InstallmentBalance],
    amount: Money,
    order: AllocationOrder = DEFAULT_ORDER,
) -> Allocation:
    """Allocate one amount over `balances` (oldest first) in `order`; return the result."""
    if amount.minor < 0:
        raise InputError("amount: a payment cannot be negative", field="amount")
    left = amount
    parts: list[AllocatedPart] = []
    result: list[InstallmentBalance] = []
    # Installments are numbered in due-date order, so the number is the age order.
    for balance in sorted(balances, key=lambda b: b.installment.number):
        for component in order.components:
            owed = balance.due(component) - balance.paid(component)
            take = owed if owed <= left else left
            if take.minor > 0:
                balance = _pay(balance, component, take)
                parts.append(AllocatedPart(balance.installment.number, component, take))
                left = left - take
        result.append(balance)
    return Allocation(tuple(result), tuple(parts), left)


def apply_payments(
    installments: Sequence[Installment],
    payments: Iterable[Payment],
    as_of: date | None = None,
    order: AllocationOrder = DEFAULT_ORDER,
) -> Allocation:
    """Allocate each payment made on or before `as_of` (all when None), in date order.

    Payments are taken in (paid_on, payment_id) order; the remainders of overpayments add up.
    """
    if not installments:
        raise InputError("a loan needs at least one installment", field="installments")
    currency = installments[0].principal.currency
    balances: tuple[InstallmentBalance, ...] = tuple(
        InstallmentBalance.unpaid(i) for i in installments
    )
    parts: list[AllocatedPart] = []
    unallocated = Money.zero(currency)
    due = [p for p in payments if as_of is None or p.paid_on <= as_of]
    for payment in sorted(due, key=lambda p: (p.paid_on, p.payment_id)):
        step = allocate(balances, payment.amount, order)
        balances = step.balances
        parts.extend(step.parts)
        unallocated = unallocated + step.unallocated
    return Allocation(balances, tuple(parts), unallocated)
