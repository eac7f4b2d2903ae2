"""Champion/challenger: a stable hash split of accounts, and the comparison of the arms.

An account's arm depends only on the experiment's name and the borrower id, so it never
changes from one day to the next, and adding accounts never moves existing ones.

The hash is fixed here, not borrowed from a library whose hash may change between versions
(Polars documents that its `hash` is not stable across versions): 64-bit FNV-1a over the
UTF-8 bytes of `experiment + "\0" + borrower_id`, then the MurmurHash3 64-bit finaliser
(`fmix64`) so that sequential ids spread evenly; the bucket is its top 53 bits / 2**53.
The scalar `bucket_of` and the vectorised `buckets` (Polars UInt64 arithmetic, which
wraps) compute the same number, and a unit test pins a few known values.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

CHAMPION = "champion"
CHALLENGER = "challenger"


_MASK = 2**64 - 1
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_M1, _M2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53


def _fnv(data: bytes, h: int = _FNV_OFFSET) -> int:
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


def _fmix(h: int) -> int:
    h ^= h >> 33
    h = (h * _M1) & _MASK
    h ^= h >> 33
    h = (h * _M2) & _MASK
    return h ^ (h >> 33)


def bucket_of(experiment: str, borrower_id: str) -> float:
    """A stable number in [0, 1) for this account in this experiment (see the docstring)."""
    h = _fnv(borrower_id.encode(), _fnv(experiment.encode() + b"\x00"))
    return (_fmix(h) >> 11) / 2**53


def buckets(experiment: str, borrower_ids: pl.Series) -> pl.Series:
    """`bucket_of` for many ids at once (Float64, in order), with Polars' wrapping UInt64."""
    frame = pl.DataFrame({"hex": borrower_ids.cast(pl.String).str.encode("hex"),
                          "n": borrower_ids.cast(pl.String).str.len_bytes()}).with_columns(
        h=pl.lit(_fnv(experiment.encode() + b"\x00"), pl.UInt64))
    width = int(frame["n"].max() or 0)  # type: ignore[arg-type]
    prime = pl.lit(_FNV_PRIME, pl.UInt64)
    for j in range(width):
        byte = pl.col("hex").str.slice(2 * j, 2).str.to_integer(base=16, strict=False)
        frame = frame.with_columns(h=pl.when(pl.col("n") > j).then(
            (pl.col("h") ^ byte.cast(pl.UInt64)) * prime).otherwise(pl.col("h")))
    shift = pl.lit(2**33, pl.UInt64)
    h = pl.col("h")
    frame = frame.with_columns(h=h ^ (h // shift)).with_columns(
        h=pl.col("h") * pl.lit(_M1, pl.UInt64)).with_columns(
        h=pl.col("h") ^ (pl.col("h") // shift)).with_columns(
        h=pl.col("h") * pl.lit(_M2, pl.UInt64)).with_columns(
        h=pl.col("h") ^ (pl.col("h") // shift))
    # The top 53 bits as a float in [0, 1): the same value as bucket_of's h / 2**64
    # whenever that division is exact in float64, and the same side of every share.
    return frame.select(b=(pl.col("h") // pl.lit(2**11, pl.UInt64)).cast(pl.Float64)
                        / float(2**53))["b"]


def arm_of(experiment: str, borrower_id: str, share: float) -> str:
    """`challenger` for a `share` of accounts, `champion` for the rest."""
    return CHALLENGER if bucket_of(experiment, borrower_id) < share else CHAMPION


def arms(experiment: str, borrower_ids: Iterable[str], share: float) -> list[str]:
    """The arm of each borrower id, in order."""
    return [arm_of(experiment, b, share) for b in borrower_ids]


def compare_arms(accounts: pl.DataFrame) -> pl.DataFrame:
    """Per experiment and arm: accounts, recovery, roll rates, complaints and contacts.

    `accounts` has one row per account in an experiment: experiment, arm, overdue_start
    (minor units owed at the start), recovered (minor units paid during the period; recovery
    counts at most the amount overdue at the start),
    delinquent_start (bool), rolled_forward (a worse bucket at the end), cured (current at the
    end), complaints (count), contacts (messages sent). Money is compared as shares, so arms
    with different currencies are never added together within one share.
    """
    return (
        accounts.group_by("experiment", "arm")
        .agg(
            accounts=pl.len(),
            # Arrears recovered: what was paid toward the amount overdue at the start (payments
            # of installments falling due later are not recovery).
            recovery_rate=pl.min_horizontal("recovered", "overdue_start").sum()
            / pl.col("overdue_start").sum().clip(lower_bound=1),
            roll_forward_rate=pl.col("rolled_forward").filter(pl.col("delinquent_start")).mean(),
            cure_rate=pl.col("cured").filter(pl.col("delinquent_start")).mean(),
            complaints_per_1000=pl.col("complaints").sum() * 1000 / pl.len(),
            contacts_per_account=pl.col("contacts").sum() / pl.len(),
        )
        .sort("experiment", "arm")
    )
