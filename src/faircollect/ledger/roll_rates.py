"""Roll rates: where the accounts (and balances) of each bucket went between two dates.

Row i, column j of the matrix counts the loans in bucket i on the first date that are in
bucket j on the second. By accounts each loan weighs one; by balance it weighs its
outstanding principal on the *first* date, so each row's shares add up to 1 and read as
"of the money that was in M1, this share rolled to M2". Only loans present on both dates
count: a loan that did not exist yet on the first date has no bucket to roll from.
Balances of different currencies are never added: a matrix covers one currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from faircollect.errors import InputError
from faircollect.ledger.buckets import DEFAULT_BUCKETS, Buckets
from faircollect.ledger.delinquency import LoanStatus


def _share(part: int, whole: int) -> float | None:
    # An empty source bucket has no rate at all, which is not the same as a rate of 0.
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class RollRates:
    """Counts and balances (minor units) from each bucket to each bucket."""

    buckets: tuple[str, ...]
    currency: str | None
    accounts: tuple[tuple[int, ...], ...]
    balances: tuple[tuple[int, ...], ...]

    def _index(self, name: str) -> int:
        try:
            return self.buckets.index(name)
        except ValueError:
            raise InputError(f"unknown bucket {name!r}", field="bucket") from None

    def account_share(self, source: str, target: str) -> float | None:
        """Share of the accounts in `source` on the first date that are in `target` later."""
        i, j = self._index(source), self._index(target)
        return _share(self.accounts[i][j], sum(self.accounts[i]))

    def balance_share(self, source: str, target: str) -> float | None:
        """Share of the balance in `source` on the first date that sits in `target` later."""
        i, j = self._index(source), self._index(target)
        return _share(self.balances[i][j], sum(self.balances[i]))

    def rows(self) -> list[dict[str, object]]:
        """Long form, one row per (from, to) pair, the same columns as the frame version."""
        return [
            {
                "currency": self.currency,
                "from_bucket": source,
                "to_bucket": target,
                "accounts": self.accounts[i][j],
                "balance": self.balances[i][j],
                "account_share": self.account_share(source, target),
                "balance_share": self.balance_share(source, target),
            }
            for i, source in enumerate(self.buckets)
            for j, target in enumerate(self.buckets)
        ]


def roll_rate_matrix(
    before: Mapping[str, LoanStatus],
    after: Mapping[str, LoanStatus],
    buckets: Buckets = DEFAULT_BUCKETS,
) -> RollRates:
    """Roll rates between two sets of loan states keyed by loan id."""
    names = buckets.names
    size = len(names)
    accounts = [[0] * size for _ in range(size)]
    balances = [[0] * size for _ in range(size)]
    currencies = {status.outstanding_principal.currency for status in before.values()}
    if len(currencies) > 1:
        raise InputError(
            "roll rates mix currencies; compute one matrix per currency", field="currency"
        )
    for loan_id, first in before.items():
        second = after.get(loan_id)
        if second is None:
            continue
        i, j = names.index(first.bucket), names.index(second.bucket)
        accounts[i][j] += 1
        balances[i][j] += first.outstanding_principal.minor
    return RollRates(
        buckets=names,
        currency=next(iter(currencies), None),
        accounts=tuple(tuple(row) for row in accounts),
        balances=tuple(tuple(row) for row in balances),
    )
