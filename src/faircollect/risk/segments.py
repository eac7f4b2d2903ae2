"""Risk segments from a collection model's probability of rolling forward (pure).

    high      probability >= 0.5: the account is more likely to roll than to cure
    low       probability <  0.15
    standard  in between, and every account the model cannot score

A segment picks the playbook champion for (jurisdiction, segment); a jurisdiction with no
playbook for a segment falls back to its standard one (`PlaybookSet.champion`), so a new
segment never leaves an account without a strategy.
"""

from __future__ import annotations

import polars as pl

from faircollect.risk.scorecard import Scorecard

HIGH, LOW = 0.5, 0.15
SEGMENTS = ("high", "standard", "low")


def segment_expr(pd_: pl.Expr) -> pl.Expr:
    return (pl.when(pd_.is_null()).then(pl.lit("standard"))
            .when(pd_ >= HIGH).then(pl.lit("high"))
            .when(pd_ < LOW).then(pl.lit("low"))
            .otherwise(pl.lit("standard")))


def assign_segments(card: Scorecard, features: pl.DataFrame) -> pl.DataFrame:
    """borrower_id, risk_score, risk_pd, segment for every row of `features` (vectorised)."""
    s = card.scaling
    scored = features.select(pl.col("borrower_id"), card.score_expr(features.schema)
                             .alias("risk_score"))
    pd_ = 1.0 / (1.0 + ((pl.col("risk_score") - s.offset) / s.factor).exp())
    return scored.with_columns(risk_pd=pd_).with_columns(segment=segment_expr(pl.col("risk_pd")))
