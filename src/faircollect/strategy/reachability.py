"""When the borrower became unreachable, read from contact history.

The borrower is unreachable once `FAILURES` call attempts in a row (since the last time they
were reached) went unanswered; `unreachable_since` is the first of those. Being reached means
a connected call or a call back: a delivered text proves nothing about the person.
"""

from __future__ import annotations

import polars as pl

FAILURES = 3
REACHED = ("connected",)
MISSED = ("no_answer", "busy", "failed")


def unreachable_since(history: pl.DataFrame) -> pl.DataFrame:
    """borrower_id, unreachable_since for borrowers who are unreachable now.

    `history`: borrower_id, at, channel, audience, outcome (the borrower's own attempts count).
    """
    own = history.filter(pl.col("audience") == "borrower")
    reached = own.filter(pl.col("outcome").is_in(list(REACHED))).group_by("borrower_id").agg(
        last_reached=pl.col("at").max())
    missed = own.filter((pl.col("channel") == "call") & pl.col("outcome").is_in(list(MISSED)))
    return (
        missed.join(reached, on="borrower_id", how="left")
        .filter(pl.col("last_reached").is_null() | (pl.col("at") > pl.col("last_reached")))
        .group_by("borrower_id")
        .agg(n=pl.len(), unreachable_since=pl.col("at").min())
        .filter(pl.col("n") >= FAILURES)
        .select("borrower_id", "unreachable_since")
    )
