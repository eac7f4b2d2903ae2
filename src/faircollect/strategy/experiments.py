"""Champion/challenger: a stable hash split of accounts, and the comparison of the arms.

An account's arm depends only on the experiment's name and the borrower id, so it never
changes from one day to the next, and adding accounts never moves existing ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import polars as pl

CHAMPION = "champion"
CHALLENGER = "challenger"


def bucket_of(experiment: str, borrower_id: str) -> float:
    """A stable number in [0, 1) for this account in this experiment."""
    digest = hashlib.blake2b(f"{experiment}\x00{borrower_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def arm_of(experiment: str, borrower_id: str, share: float) -> str:
    """`challenger` for a `share` of accounts, `champion` for the rest."""
    return CHALLENGER if bucket_of(experiment, borrower_id) < share else CHAMPION


def arms(experiment: str, borrower_ids: Iterable[str], share: float) -> list[str]:
    """The arm of each borrower id, in order."""
    return [arm_of(experiment, b, share) for b in borrower_ids]


def compare_arms(accounts: pl.DataFrame) -> pl.DataFrame:
    """Per experiment and arm: accounts, recovery, roll rates, complaints and contacts.

    `accounts` has one row per account in an experiment: experiment, arm, overdue_start
    (minor units owed at the start), recovered (minor units paid during the period),
    delinquent_start (bool), rolled_forward (a worse bucket at the end), cured (current at the
    end), complaints (count), contacts (messages sent). Money is compared as shares, so arms
    with different currencies are never added together within one share.
    """
    return (
        accounts.group_by("experiment", "arm")
        .agg(
            accounts=pl.len(),
            recovery_rate=pl.col("recovered").sum()
            / pl.col("overdue_start").sum().clip(lower_bound=1),
            roll_forward_rate=pl.col("rolled_forward").filter(pl.col("delinquent_start")).mean(),
            cure_rate=pl.col("cured").filter(pl.col("delinquent_start")).mean(),
            complaints_per_1000=pl.col("complaints").sum() * 1000 / pl.len(),
            contacts_per_account=pl.col("contacts").sum() / pl.len(),
        )
        .sort("experiment", "arm")
    )
