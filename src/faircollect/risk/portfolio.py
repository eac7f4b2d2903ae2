"""The cycle's risk step: score the portfolio with the approved collection model, vectorised,
and give each account its risk segment (service: reads the store, calls the core, audits).

Without an approved collection model every account stays `standard`, as before risk scoring
existed. The ledger holds no consent-gated characteristic; one the ledger does not hold
(a model trained with contact-person data) scores neutral for every account.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
from sqlalchemy import Connection, select

from faircollect.bootstrap import App
from faircollect.risk import registry
from faircollect.risk.behaviour import behaviour_features
from faircollect.risk.segments import assign_segments
from faircollect.store.tables.cases import promises
from faircollect.strategy.cache import InputCache
from faircollect.strategy.inputs import PlanInputs

KIND = "collection"


def _promises(conn: Connection) -> pl.DataFrame:
    p = promises.c
    rows = conn.execute(select(p.borrower_id, p.loan_id, p.amount_minor, p.promised_on,
                               p.due_on, p.cancelled_at.is_not(None))).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "borrower_id": pl.String, "loan_id": pl.String, "amount_minor": pl.Int64,
        "promised_on": pl.Date, "due_on": pl.Date, "cancelled": pl.Boolean})


def portfolio_features(conn: Connection, day: date, cache: InputCache | None = None
                       ) -> pl.DataFrame:
    """The behaviour characteristics of every borrower with installments, as of `day`."""
    cache = cache or InputCache()
    inst, pays = cache.ledger(conn)
    history = cache.history(conn).drop("history_id", strict=False)
    return behaviour_features(inst, pays, history, _promises(conn), day)


def with_risk_segments(app: App, conn: Connection, day: date, inputs: PlanInputs,
                       cache: InputCache | None = None) -> tuple[PlanInputs, dict[str, object]]:
    """`inputs` with each account's segment set by the live collection model, and a summary
    for the audit record (empty when no model is approved)."""
    model = registry.live(app.store, KIND)
    if model is None or inputs.accounts.height == 0:
        return inputs, {}
    card = model.scorecard
    feats = portfolio_features(conn, day, cache).join(
        inputs.accounts.select("borrower_id"), on="borrower_id", how="semi")
    missing = [f for f in card.features if f not in feats.columns]
    for f in missing:  # a characteristic the ledger does not hold scores neutral
        feats = feats.with_columns(pl.lit(None, pl.Float64).alias(f))
    scored = assign_segments(card, feats)
    accounts = inputs.accounts.drop("segment").join(
        scored.select("borrower_id", "segment"), on="borrower_id", how="left").with_columns(
        pl.col("segment").fill_null("standard"))
    counts = {str(k): int(v) for k, v in accounts["segment"].value_counts().iter_rows()}
    summary: dict[str, object] = {"model_id": model.model_id, "version": model.version,
                                  "segments": counts}
    return replace(inputs, accounts=accounts.select(inputs.accounts.columns)), summary


def collection_dataset(conn: Connection, day: date, horizon: int = 30) -> pl.DataFrame:
    """Training rows for a collection model from the ledger: the behaviour characteristics
    of every borrower past due on `day`, and `rolled` (still past due `horizon` days on)."""
    from faircollect.errors import InputError
    from faircollect.risk.behaviour import collection_labels
    from faircollect.strategy.loader import portfolio_start

    start = portfolio_start(conn)
    if start is None:
        raise InputError("no portfolio in the store: import one first", field="as_of")
    cache = InputCache()
    inst, pays = cache.ledger(conn)
    raw = pays["paid_on"].max() if pays.height else None
    last = raw if isinstance(raw, date) else None
    if last is not None and day + timedelta(days=horizon) > last:
        raise InputError(f"--as-of {day} + {horizon} days is after the last payment in the "
                         f"ledger ({last}): the outcome is not known yet", field="as_of")
    labels = collection_labels(inst, pays, day, horizon)
    feats = portfolio_features(conn, day, cache)
    return feats.join(labels, on="borrower_id", how="inner").sort("borrower_id")
