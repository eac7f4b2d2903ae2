"""Consent validity in bulk: the vectorised twin of `consent.record` over Polars frames.

The daily cycle asks "is there a valid consent for (borrower, purpose, contact) at t?" for a
whole portfolio at once. `spans_frame` folds ledger records into validity spans with the same
reading as `record.spans`; `valid_frame` answers a frame of questions with one join and one
filter. A Hypothesis test holds both equal to the scalar functions on random ledgers.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from faircollect.consent.record import ConsentRecord, Span

INSTANT = pl.Datetime("us", "UTC")
KEY = ("borrower_id", "purpose", "contact_id")
# Join keys cannot hold null in every Polars version the same way; a consent not tied to a
# contact is keyed with this marker, which no contact id can equal (ids never start with NUL).
_NO_CONTACT = "\x00"

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.Int64(),
    "consent_id": pl.String(),
    "borrower_id": pl.String(),
    "purpose": pl.String(),
    "contact_id": pl.String(),
    "kind": pl.String(),
    "granted_at": INSTANT,
    "expires_at": INSTANT,
    "withdrawn_at": INSTANT,
}
SPAN_SCHEMA: dict[str, pl.DataType] = {
    "consent_id": pl.String(),
    "borrower_id": pl.String(),
    "purpose": pl.String(),
    "contact_id": pl.String(),
    "start": INSTANT,
    "expires": INSTANT,
    "withdrawn_at": INSTANT,
    "end": INSTANT,
}


def records_frame(records: Iterable[ConsentRecord]) -> pl.DataFrame:
    """Ledger records as a frame with RECORD_SCHEMA."""
    rows = [
        (r.record_id, r.consent_id, r.borrower_id, r.purpose, r.contact_id, r.kind,
         r.granted_at, r.expires_at, r.withdrawn_at)
        for r in records
    ]
    return pl.DataFrame(rows, schema=RECORD_SCHEMA, orient="row")


def spans_frame(records: pl.DataFrame) -> pl.DataFrame:
    """Validity spans (SPAN_SCHEMA) of the consents in a records frame."""
    recs = records.select(list(RECORD_SCHEMA)).cast(RECORD_SCHEMA)  # type: ignore[arg-type]
    opening = recs.filter(pl.col("kind").is_in(["grant", "renew"]))
    withdrawn = (
        recs.filter(pl.col("kind") == "withdraw")
        .group_by("consent_id")
        .agg(pl.col("withdrawn_at").min().alias("_withdrawn"))
    )
    # A review's `expire` record ends only the spans opened before it.
    cut = (
        opening.select("consent_id", "record_id")
        .join(
            recs.filter(pl.col("kind") == "expire").select(
                "consent_id", pl.col("record_id").alias("_cut_id"),
                pl.col("expires_at").alias("_cut"),
            ),
            on="consent_id",
        )
        .filter(pl.col("_cut_id") > pl.col("record_id"))
        .group_by("record_id")
        .agg(pl.col("_cut").min())
    )
    out = (
        opening.join(cut, on="record_id", how="left")
        .join(withdrawn, on="consent_id", how="left")
        .select(
            "consent_id", "borrower_id", "purpose", "contact_id",
            pl.col("granted_at").alias("start"),
            pl.min_horizontal("expires_at", "_cut").alias("expires"),
            pl.col("_withdrawn").alias("withdrawn_at"),
        )
        .with_columns(pl.min_horizontal("expires", "withdrawn_at").alias("end"))
        .filter(pl.col("end").is_null() | (pl.col("end") > pl.col("start")))
    )
    return out.cast(SPAN_SCHEMA)  # type: ignore[arg-type]


def spans_to_frame(spans: Iterable[Span]) -> pl.DataFrame:
    """Spans computed by the scalar core, as a frame with SPAN_SCHEMA."""
    rows = [
        (s.consent_id, s.borrower_id, s.purpose, s.contact_id, s.start, s.expires,
         s.withdrawn_at, s.end)
        for s in spans
    ]
    return pl.DataFrame(rows, schema=SPAN_SCHEMA, orient="row")


def valid_frame(queries: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """`queries` with a boolean column `consent_valid` added, in the same row order.

    `queries` needs columns borrower_id, purpose, contact_id (null for none) and `at` (an aware
    datetime); any other columns are kept. `spans` comes from `spans_frame`. A question with no
    matching span is False: no consent on record means no consent (fail closed).
    """
    missing = [c for c in (*KEY, "at") if c not in queries.columns]
    if missing:
        raise ValueError(f"queries lack columns: {', '.join(missing)}")
    q = queries.with_row_index("_q")
    keyed = q.select(
        "_q",
        pl.col("borrower_id").cast(pl.String),
        pl.col("purpose").cast(pl.String),
        pl.col("contact_id").cast(pl.String).fill_null(_NO_CONTACT),
        pl.col("at").dt.convert_time_zone("UTC").cast(INSTANT),
    )
    sp = spans.select(
        pl.col("borrower_id"), pl.col("purpose"),
        pl.col("contact_id").fill_null(_NO_CONTACT), "start", "end",
    )
    hits = (
        keyed.join(sp, on=list(KEY), how="inner")
        .filter(
            (pl.col("start") <= pl.col("at"))
            & (pl.col("end").is_null() | (pl.col("at") < pl.col("end")))
        )
        .select("_q")
        .unique()
    )
    return q.with_columns(pl.col("_q").is_in(hits.get_column("_q").implode()).alias("consent_valid")).drop("_q")
