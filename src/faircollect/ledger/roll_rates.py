"""Roll rates: where the accounts (and balances) of each bucket went between two dates.

Row i, column j of the matrix counts the loans in bucket i on the first date that are in
bucket j on the second. By accounts each loan weighs one; by balance it weighs its
outstanding principal on the *first* date, so each row's shares add up to 1 and read as
"of the money that was in M1, this share rolled to M2". Only loans present on both dates
count: a loan that did not exist yet on the first date has no bucket to roll from.
Balances of different currencies are never added: a matrix covers one currency, and the
frame version computes one matrix per currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

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


ROLL_RATE_COLUMNS = (
    "currency",
    "from_bucket",
    "to_bucket",
    "accounts",
    "balance",
    "account_share",
    "balance_share",
)


def roll_rates(
    snapshot_a: pl.DataFrame,
    snapshot_b: pl.DataFrame,
    buckets: Buckets = DEFAULT_BUCKETS,
) -> pl.DataFrame:
    """Roll rates between two snapshots (frames from `snapshot`), in long form.

    One row per currency and (from_bucket, to_bucket) pair, every pair present (zeros
    included): accounts, balance (outstanding principal on the first date, minor units),
    account_share and balance_share (null when the source bucket is empty). Without a
    currency column the frames are taken to be one currency and the column is null.
    """
    for name, frame in (("snapshot_a", snapshot_a), ("snapshot_b", snapshot_b)):
        missing = {"loan_id", "bucket", "outstanding_principal"} - set(frame.columns)
        if missing:
            raise InputError(f"{name}: missing column(s) {', '.join(sorted(missing))}")
    names = pl.Enum(list(buckets.names))

    def currency(frame: pl.DataFrame) -> pl.Expr:
        return (
            pl.col("currency").cast(pl.String)
            if "currency" in frame.columns
            else pl.lit(None, pl.String).alias("currency")
        )

    first = snapshot_a.select(
        "loan_id",
        currency(snapshot_a),
        from_bucket=pl.col("bucket").cast(pl.String).cast(names),
        balance=pl.col("outstanding_principal").cast(pl.Int64),
    )
    second = snapshot_b.select("loan_id", to_bucket=pl.col("bucket").cast(pl.String).cast(names))
    counts = (
        first.join(second, on="loan_id", how="inner")
        .group_by("currency", "from_bucket", "to_bucket")
        .agg(accounts=pl.len().cast(pl.Int64), balance=pl.col("balance").sum())
    )
    levels = pl.Series(list(buckets.names), dtype=names)
    grid = (
        first.select(pl.col("currency").unique())
        .join(levels.to_frame("from_bucket"), how="cross")
        .join(levels.to_frame("to_bucket"), how="cross")
    )
    source = ["currency", "from_bucket"]
    return (
        grid.join(counts, on=["currency", "from_bucket", "to_bucket"], how="left", nulls_equal=True)
        .with_columns(pl.col("accounts", "balance").fill_null(0))
        .with_columns(
            account_share=pl.col("accounts") / pl.col("accounts").sum().over(source),
            balance_share=pl.col("balance") / pl.col("balance").sum().over(source),
        )
        .with_columns(pl.col("account_share", "balance_share").fill_nan(None))
        .sort("currency", "from_bucket", "to_bucket", nulls_last=True)
        .select(ROLL_RATE_COLUMNS)
    )
